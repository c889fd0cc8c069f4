package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LoadOptions says where to find envs.yaml and how to read the environment.
type LoadOptions struct {
	// File is the -f flag. Relative paths are taken from WorkDir.
	File string
	// Files, Stdin and Profiles: see sources.go.
	FileOptions
	// WorkDir is where the search for envs.yaml starts; "" is the current
	// directory.
	WorkDir string
	// LookupEnv reads process environment variables: DEVENV_FILE, ${VAR}
	// interpolation, bare KEY entries of environment:, and HOME for ~ in
	// volumes. nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// fileEnvVar names the environment variable that may point at the file.
const fileEnvVar = "DEVENV_FILE"

// Load finds the project's files (see FindFiles), merges them in order,
// then parses and validates the result. Problems in the files come back as
// a *ErrorList.
func Load(opts LoadOptions) (*Project, error) {
	files, searched, err := findFiles(opts)
	if err != nil {
		return nil, err
	}
	srcs, err := readSources(files, opts)
	if err != nil {
		return nil, err
	}
	p, err := parseSources(srcs, opts)
	if err == nil && searched {
		p.Warnings = append(p.Warnings, unreadCandidates(files[0])...)
	}
	return p, err
}

// FindFile returns the first file Load would read (see FindFiles).
func FindFile(opts LoadOptions) (string, error) {
	files, err := FindFiles(opts)
	if err != nil {
		return "", err
	}
	return files[0], nil
}

// parser holds the state of one Parse: where the file lives, where
// variables come from, and the problems found so far.
type parser struct {
	file      string // as given, for messages
	dir       string // absolute directory of file
	lookupEnv func(string) (string, bool)
	dotenv    map[string]string // the .env file beside file
	errs      ErrorList
	// projectFlag is LoadOptions.ProjectName (-p), which names the project.
	projectFlag string
	// warns holds keys accepted but without effect on a local engine; they
	// end up in Project.Warnings.
	warns ErrorList
	// failed holds scalars whose interpolation failed; their one error is
	// reported and later checks of the raw text stay quiet.
	failed map[*yaml.Node]bool
	// pairsCache and merging memoize pairs and detect merge cycles.
	pairsCache map[*yaml.Node][]pair
	merging    map[*yaml.Node]bool
	// declared holds every name under services:, valid or not, so that a
	// broken service does not also make its dependants' references fail.
	declared map[string]bool
	// proj is the project being built; services read its top-level
	// volumes, networks, secrets and configs (resources.go).
	proj *Project
	// fileState serves merging files, include and extends (sources.go).
	fileState
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	if p.failed[n] {
		return
	}
	p.errs = append(p.errs, &Error{File: p.fileOf(n), Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// warnf records that the key at n is accepted but cannot apply here (it
// names the key and what, if anything, to do instead). Warnings never fail
// a load; Project.Warnings carries them to the caller to show.
func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	p.warns = append(p.warns, &Error{File: p.fileOf(n), Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// fileErrorf reports a problem with the file as a whole.
func (p *parser) fileErrorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse parses, interpolates and validates the contents of an envs.yaml.
// file names it in messages and anchors relative paths (.env, env_file, bind
// mounts); it is not read. Problems come back as a *ErrorList together with
// a nil Project.
func Parse(file string, data []byte, opts LoadOptions) (*Project, error) {
	return parseSources([]Source{{Name: file, Data: data}}, opts)
}

// parseSources parses, merges, interpolates and validates one or more files,
// later ones merged onto earlier ones; the first anchors relative paths.
func parseSources(srcs []Source, opts LoadOptions) (*Project, error) {
	file := srcs[0].Name
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", file, err)
	}
	p := &parser{
		file: file, dir: filepath.Dir(abs), lookupEnv: opts.LookupEnv,
		failed: map[*yaml.Node]bool{}, pairsCache: map[*yaml.Node][]pair{}, merging: map[*yaml.Node]bool{},
		declared: map[string]bool{}, fileState: newFileState(), projectFlag: opts.ProjectName,
	}
	if p.lookupEnv == nil {
		p.lookupEnv = os.LookupEnv
	}
	p.readDotenv()
	root := p.tree(srcs)
	if root == nil {
		return nil, p.errs.err()
	}
	proj := p.project(root, abs)
	p.selectFrom(proj, srcs, opts)
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	if len(p.warns) > 0 {
		p.warns.sort()
		proj.Warnings = p.warns
	}
	return proj, nil
}

// readDotenv loads the optional .env file beside the config.
func (p *parser) readDotenv() {
	name := filepath.Join(filepath.Dir(p.file), ".env")
	data, err := os.ReadFile(filepath.Join(p.dir, ".env"))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		p.errs = append(p.errs, &Error{File: name, Msg: fmt.Sprintf("cannot read: %v; fix its permissions or remove it", err)})
		return
	}
	p.dotenv = map[string]string{}
	for _, l := range parseEnvFile(name, data, &p.errs) {
		p.dotenv[l.Key] = l.Value
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses the single YAML document in data and returns its root.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a bad file must
		// not take the program down.
		if r := recover(); r != nil {
			p.fileErrorf(0, "cannot parse YAML (%v); check the file's syntax", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.fileErrorf(0, "file is empty; add a services: section")
			return nil
		}
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p.fileErrorf(extra.Line, "more than one YAML document; keep everything in the first (remove the ---)")
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.fileErrorf(0, "file is empty; add a services: section")
		return nil
	}
	return doc.Content[0]
}

// yamlError turns a yaml.v3 syntax error into an Error with its line.
func (p *parser) yamlError(err error) {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		p.fileErrorf(0, "%v; fix the YAML syntax", err)
		return
	}
	line, _ := strconv.Atoi(m[1])
	p.fileErrorf(line, "invalid YAML: %s; fix the YAML syntax", m[2])
}
