package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/devenv-dev/devenv/internal/compattest"
)

// The compatibility ratchet: every compose file of the public samples in
// ../shared/compat/awesome-compose (a sibling of the repository, absent from
// a plain clone) is loaded as a user would load it, by running devenv in its
// directory, and, where it loads, its resolved services are compared with
// what Docker Compose resolves (testdata/compat/<sample>.golden.json, made by
// generate.sh).
// testdata/compat/known-gaps.txt lists the samples that do not load yet or
// differ; the test fails when a sample outside the list fails or a listed
// one passes, so the list can only shrink. go test -run TestCompat -update
// rewrites it.

const (
	compatTestdata = "testdata/compat"
	knownGapsFile  = compatTestdata + "/known-gaps.txt"
)

// compatEnv is the process environment the samples are loaded with, the
// same that generate.sh gives docker-compose.
var compatEnv = map[string]string{"HOME": "/home/dev"}

// compatGap loads one sample as devenv does in its directory (finding the
// file itself, as a user runs it there without -f) and returns why it is not yet compatible ("" when it is): the first load error
// (position and message, without the machine's path), or the first field
// that differs from the golden file of Docker Compose's resolution.
func compatGap(t *testing.T, dir, goldenDir, sample string) string {
	t.Helper()
	opts := LoadOptions{WorkDir: filepath.Join(dir, filepath.Dir(sample)), LookupEnv: lookupIn(compatEnv)}
	want, err := filepath.Abs(filepath.Join(dir, sample))
	if err != nil {
		t.Fatal(err)
	}
	if found, err := FindFile(opts); err == nil && found != want {
		return "devenv in its directory reads " + filepath.Base(found) + ", not " + filepath.Base(sample)
	}
	p, err := Load(opts)
	if err != nil {
		return "load: " + firstError(err)
	}
	golden, err := os.ReadFile(filepath.Join(goldenDir, goldenName(sample)))
	if errors.Is(err, os.ErrNotExist) {
		return "" // no golden (docker-compose could not resolve it): loading is the check
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(normalizeProject(p))
	if err != nil {
		t.Fatal(err)
	}
	return firstDifference(t, golden, got)
}

// firstError is the first problem of a load error, with its position but
// without the file's path.
func firstError(err error) string {
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Line > 0 && e.Column > 0:
			return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
		case e.Line > 0:
			return fmt.Sprintf("%d: %s", e.Line, e.Msg)
		}
		return e.Msg
	}
	return err.Error()
}

// goldenName is the golden file of a sample: its directory with / as -,
// and the file's name when it is not the usual one.
func goldenName(sample string) string {
	name := filepath.Dir(sample)
	if base := filepath.Base(sample); base != "compose.yaml" && base != "compose.yml" {
		name += "-" + strings.TrimSuffix(strings.TrimSuffix(base, ".yml"), ".yaml")
	}
	return strings.ReplaceAll(name, "/", "-") + ".golden.json"
}

// firstDifference compares the two normalized JSON documents and names the
// first path at which they differ, or "" when they are equal.
func firstDifference(t *testing.T, want, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if d := jsonDiff("", w, g); d != "" {
		return "differs from docker-compose: " + d
	}
	return ""
}

// TestCompat is the ratchet described at the top of this file.
func TestCompat(t *testing.T) {
	dir := compattest.Dir(t)
	samples := compattest.Files(t, dir)
	gaps := map[string]string{}
	for _, s := range samples {
		if gap := compatGap(t, dir, compatTestdata, s); gap != "" {
			gaps[s] = gap
		}
	}
	t.Logf("%d of %d samples load and agree with docker-compose", len(samples)-len(gaps), len(samples))
	if *update {
		writeKnownGaps(t, samples, gaps)
		return
	}
	for _, problem := range ratchet(samples, gaps, readKnownGaps(t)) {
		t.Error(problem)
	}
}

// ratchet compares this run's gaps with the known ones: a sample failing
// outside the list, a listed sample passing, and a listed sample that does
// not exist are each a problem.
func ratchet(samples []string, gaps map[string]string, known map[string]bool) []string {
	var problems []string
	for _, s := range samples {
		gap, failing := gaps[s]
		switch {
		case failing && !known[s]:
			problems = append(problems, fmt.Sprintf("%s: %s (a regression, or a new sample: fix it, or run go test -run TestCompat -update)", s, gap))
		case !failing && known[s]:
			problems = append(problems, fmt.Sprintf("%s now passes: remove it from %s (or run go test -run TestCompat -update)", s, knownGapsFile))
		}
	}
	for s := range known {
		if !slices.Contains(samples, s) {
			problems = append(problems, fmt.Sprintf("%s lists %s, which is not among the samples: remove it", knownGapsFile, s))
		}
	}
	sort.Strings(problems)
	return problems
}

func TestCompatRatchet(t *testing.T) {
	samples := []string{"a/compose.yaml", "b/compose.yaml", "c/compose.yaml"}
	tests := []struct {
		name  string
		gaps  map[string]string
		known map[string]bool
		want  []string // substrings, one per problem
	}{
		{"as listed", map[string]string{"b/compose.yaml": "load: x"}, map[string]bool{"b/compose.yaml": true}, nil},
		{"new failure", map[string]string{"a/compose.yaml": "load: x"}, map[string]bool{}, []string{"a/compose.yaml: load: x (a regression"}},
		{"listed passes", map[string]string{}, map[string]bool{"c/compose.yaml": true}, []string{"c/compose.yaml now passes"}},
		{"stale entry", map[string]string{}, map[string]bool{"gone/compose.yaml": true}, []string{"lists gone/compose.yaml, which is not among"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ratchet(samples, tc.gaps, tc.known)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want one with %q", got[i], w)
				}
			}
		})
	}
}

// readKnownGaps reads the list: one sample path per line, a comment after #.
func readKnownGaps(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(knownGapsFile)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCompat -update to create it)", err)
	}
	known := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			known[line] = true
		}
	}
	return known
}

func writeKnownGaps(t *testing.T, samples []string, gaps map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Compose samples (../shared/compat/awesome-compose) devenv does not load yet, or resolves\n")
	b.WriteString("# differently from docker-compose, each with its first problem. Written by\n")
	b.WriteString("# go test ./env/config -run TestCompat -update; TestCompat fails if a sample not listed\n")
	b.WriteString("# fails or a listed one passes.\n")
	for _, s := range samples {
		if gap, ok := gaps[s]; ok {
			fmt.Fprintf(&b, "%s  # %s\n", s, oneLine(gap, 110))
		}
	}
	if err := os.MkdirAll(compatTestdata, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(knownGapsFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// oneLine is s on one line, cut to at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}

// TestCompatSelftest runs the comparison on a file devenv loads, against
// docker-compose's resolution of it (generate.sh selftest selftest), and
// checks that a golden file that differs is caught.
func TestCompatSelftest(t *testing.T) {
	dir := filepath.Join(compatTestdata, "selftest")
	if gap := compatGap(t, dir, dir, "basic/compose.yaml"); gap != "" {
		t.Errorf("selftest: %s", gap)
	}
	want, err := os.ReadFile(filepath.Join(dir, "basic.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, old, new, want string }{
		{"environment", `"hello world"`, `"hello there"`, "services.api.environment.GREETING: docker-compose hello there, devenv hello world"},
		{"image", `"postgres:16"`, `"postgres:17"`, "services.db.image"},
		{"port", `":8080:80/tcp"`, `":8081:80/tcp"`, "services.web.ports[1]"},
		{"mount mode", `"bind:./site:/usr/share/nginx/html:ro"`, `"bind:./site:/usr/share/nginx/html:rw"`, "services.web.volumes[0]"},
		{"condition", `"db": "service_healthy"`, `"db": "service_started"`, "services.api.depends_on.db"},
		{"network", `"networks": [
    "default"
  ]`, `"networks": [
    "backnet",
    "default"
  ]`, "networks: docker-compose [backnet default], devenv [default]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changed := strings.Replace(string(want), tc.old, tc.new, 1)
			if changed == string(want) {
				t.Fatalf("%s is not in the golden file", tc.old)
			}
			p, err := Load(LoadOptions{WorkDir: filepath.Join(dir, "basic"), LookupEnv: lookupIn(compatEnv)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(normalizeProject(p))
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDifference(t, []byte(changed), got); !strings.Contains(d, tc.want) {
				t.Errorf("difference %q, want one naming %q", d, tc.want)
			}
		})
	}
}
