package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// composeFileEnvVar lists files as -f does, separated by the OS's path list
// separator (or $COMPOSE_PATH_SEPARATOR), as in Compose.
const (
	composeFileEnvVar = "COMPOSE_FILE"
	pathSepEnvVar     = "COMPOSE_PATH_SEPARATOR"
)

// StdinFile, given as a file name, reads the configuration from Stdin.
const StdinFile = "-"

// defaultFiles are looked for, in this order, in the working directory and
// then each parent; the first found is used with its override file.
var defaultFiles = []string{DefaultFile, "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// FindFiles returns the files Load reads, in merge order: the -f files
// (opts.Files, or opts.File), else those $DEVENV_FILE or $COMPOSE_FILE list,
// else the first of envs.yaml, compose.yaml, compose.yml, docker-compose.yaml
// and docker-compose.yml found in WorkDir or its nearest parent, followed by
// its override file (compose.override.yaml beside compose.yaml, …) when one
// exists. StdinFile is returned as is.
func FindFiles(opts LoadOptions) ([]string, error) {
	files, _, err := findFiles(opts)
	return files, err
}

// findFiles is FindFiles, also saying whether the files were found by the
// search rather than named.
func findFiles(opts LoadOptions) (files []string, searched bool, err error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	wd := opts.WorkDir
	if wd == "" {
		if wd, err = os.Getwd(); err != nil {
			return nil, false, fmt.Errorf("finding %s: %w", DefaultFile, err)
		}
	}
	lookup = withWorkDirDotenv(wd, lookup)
	given, from := opts.Files, "-f"
	if len(given) == 0 && opts.File != "" {
		given = []string{opts.File}
	}
	for _, name := range []string{fileEnvVar, composeFileEnvVar} {
		if len(given) > 0 {
			break
		}
		if v, _ := lookup(name); v != "" {
			given, from = splitPathList(v, lookup), name
		}
	}
	if len(given) == 0 {
		files, err := searchUp(wd)
		return files, true, err
	}
	out := make([]string, 0, len(given))
	for _, f := range given {
		f, err := checkGiven(f, from, wd)
		if err != nil {
			return nil, false, err
		}
		out = append(out, f)
	}
	return out, false, nil
}

// splitPathList splits a COMPOSE_FILE style list, dropping empty entries.
func splitPathList(v string, lookup func(string) (string, bool)) []string {
	sep := string(os.PathListSeparator)
	if s, ok := lookup(pathSepEnvVar); ok && s != "" {
		sep = s
	}
	var out []string
	for _, f := range strings.Split(v, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// checkGiven makes a named file absolute and checks that it exists.
func checkGiven(f, from, wd string) (string, error) {
	if f == StdinFile {
		return f, nil
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(wd, f)
	}
	st, err := os.Stat(f)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: %s (from %s) does not exist; check the path", ErrNoFile, f, from)
	case err != nil:
		return "", fmt.Errorf("reading %s (from %s): %w", f, from, err)
	case st.IsDir():
		return "", fmt.Errorf("%w: %s (from %s) is a directory; name a file in it", ErrNoFile, f, from)
	}
	return f, nil
}

// searchUp looks for the default files in dir and each of its parents.
func searchUp(dir string) ([]string, error) {
	start, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", DefaultFile, err)
	}
	for d := start; ; d = filepath.Dir(d) {
		for _, name := range defaultFiles {
			f := filepath.Join(d, name)
			if isFile(f) {
				return withOverride(f), nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return nil, fmt.Errorf("%w: looked for %s in %s and every parent directory; create one there or use -f FILE (or set %s)",
		ErrNoFile, strings.Join(defaultFiles, ", "), start, fileEnvVar)
}

// withOverride returns f followed by its override file, if there is one:
// NAME.override.yaml or NAME.override.yml beside NAME.EXT, the same
// extension first.
func withOverride(f string) []string {
	ext := filepath.Ext(f)
	base := strings.TrimSuffix(f, ext)
	for _, e := range []string{ext, ".yaml", ".yml"} {
		if o := base + ".override" + e; isFile(o) {
			return []string{f, o}
		}
	}
	return []string{f}
}

func isFile(f string) bool {
	st, err := os.Stat(f)
	return err == nil && !st.IsDir()
}

// withWorkDirDotenv lets the .env file of the working directory set
// COMPOSE_FILE and DEVENV_FILE, as Compose lets it; the process
// environment wins. Problems in that file are reported when it is read as
// the project's .env.
func withWorkDirDotenv(wd string, lookup func(string) (string, bool)) func(string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(wd, ".env"))
	if err != nil {
		return lookup
	}
	var ignored ErrorList
	vars := map[string]string{}
	for _, l := range parseEnvFile(".env", data, &ignored) {
		vars[l.Key] = l.Value
	}
	return func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, true
		}
		v, ok := vars[k]
		return v, ok
	}
}

// unreadCandidates warns, as Compose does, when the directory of a found
// compose file holds another of the names Compose looks for, which is not
// read. envs.yaml beside a compose file is deliberate and not warned of.
func unreadCandidates(found string) ErrorList {
	var out ErrorList
	dir, name := filepath.Dir(found), filepath.Base(found)
	if name == DefaultFile {
		return nil
	}
	for _, other := range defaultFiles[1:] {
		if other != name && isFile(filepath.Join(dir, other)) {
			out = append(out, &Error{File: found, Msg: fmt.Sprintf(
				"%s is here too and is not read; remove one of them, or name the files with -f", other)})
		}
	}
	return out
}
