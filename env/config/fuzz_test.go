package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// survives a Format round trip unchanged.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("services: {a: {image: a, <<: {ports: [1]}}}\nx-a: &a {b: *a}\n"))
	f.Add([]byte("services: {a: &s {image: a, depends_on: [a]}, b: *s}\n"))
	env := lookupIn(map[string]string{"HOME": "/home/dev", "A": "a$b", "EMPTY": ""})
	// The file lives in a directory with no .env or env files, so only the
	// input itself matters.
	file := filepath.Join(f.TempDir(), "proj", DefaultFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(file, data, LoadOptions{LookupEnv: env})
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned both a Project and an error")
			}
			return
		}
		out, err := p.Format()
		if err != nil {
			t.Fatalf("Format: %v", err)
		}
		again, err := Parse(file, out, LoadOptions{LookupEnv: lookupIn(nil)})
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%s", err, out)
		}
		// Format leaves out the keys accepted without effect, and with them
		// their warnings.
		if diff := cmp.Diff(p, again, cmpopts.IgnoreFields(Project{}, "Warnings")); diff != "" {
			t.Fatalf("round trip changed the project (-first +second):\n%s\n%s", diff, out)
		}
	})
}
