package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testEnv is the process environment the golden tests run with.
var testEnv = map[string]string{
	"HOME":          "/home/dev",
	"HOME_FROM_ENV": "yes",
	"FROM_DOTENV":   "process-wins",
	"EMPTY":         "",
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func parseFile(t *testing.T, file string) (*Project, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(file, data, LoadOptions{LookupEnv: lookupIn(testEnv)})
}

// checkGolden compares got with file.golden, or rewrites it with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	golden := strings.TrimSuffix(file, ".yaml") + ".golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in testdata/%s: %v", dir, err)
	}
	return files
}

// TestValidGolden parses each valid file, compares Format's output with the
// golden file, and checks that the output parses back to an equal Project.
func TestValidGolden(t *testing.T) {
	for _, file := range yamlFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p, err := parseFile(t, file)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := p.Format()
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			checkGolden(t, file, strings.ReplaceAll(string(out), p.Dir, "<dir>"))
			again, err := Parse(file, out, LoadOptions{LookupEnv: lookupIn(nil)})
			if err != nil {
				t.Fatalf("parsing Format output: %v\n%s", err, out)
			}
			if diff := cmp.Diff(p, again); diff != "" {
				t.Errorf("round trip changed the project (-first +second):\n%s", diff)
			}
		})
	}
}

// TestInvalidGolden checks the full error text for each invalid file.
func TestInvalidGolden(t *testing.T) {
	for _, file := range yamlFiles(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p, err := parseFile(t, file)
			if err == nil {
				t.Fatalf("Parse accepted the file: %+v", p)
			}
			if p != nil {
				t.Errorf("Parse returned a Project along with an error")
			}
			var list *ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want *ErrorList", err)
			}
			checkGolden(t, file, err.Error()+"\n")
		})
	}
}
