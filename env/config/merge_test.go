package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// mergeYAML merges the documents in order as Load merges files and returns
// the result as YAML.
func mergeYAML(t *testing.T, docs ...string) string {
	t.Helper()
	p := &parser{file: "a.yaml", failed: map[*yaml.Node]bool{}, fileState: newFileState(), lookupEnv: lookupIn(nil)}
	var srcs []Source
	for i, d := range docs {
		srcs = append(srcs, Source{Name: string(rune('a'+i)) + ".yaml", Data: []byte(d)})
	}
	root := p.tree(srcs)
	if err := p.errs.err(); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestMergeRules(t *testing.T) {
	tests := []struct {
		name       string
		base, over string
		want       string
	}{
		{name: "mapping merged",
			base: "services: {web: {image: a, user: x}}", over: "services: {web: {user: y, hostname: h}, db: {image: d}}",
			want: "services: {web: {image: a, user: y, hostname: h}, db: {image: d}}"},
		{name: "scalar replaced", base: "name: one", over: "name: two", want: "name: two"},
		{name: "command replaced",
			base: "services: {s: {command: [echo, foo]}}", over: "services: {s: {command: [echo, bar]}}",
			want: "services: {s: {command: [echo, bar]}}"},
		{name: "entrypoint replaced, string over list",
			base: "services: {s: {entrypoint: [sh, -c]}}", over: "services: {s: {entrypoint: bash}}",
			want: "services: {s: {entrypoint: bash}}"},
		{name: "healthcheck test replaced",
			base: "services: {s: {healthcheck: {test: [CMD, a], retries: 3}}}", over: "services: {s: {healthcheck: {test: [CMD, b]}}}",
			want: "services: {s: {healthcheck: {test: [CMD, b], retries: 3}}}"},
		{name: "dns appended unique",
			base: "services: {s: {dns: [1.1.1.1, 8.8.8.8]}}", over: "services: {s: {dns: [8.8.8.8, 9.9.9.9]}}",
			want: "services: {s: {dns: [1.1.1.1, 8.8.8.8, 9.9.9.9]}}"},
		{name: "expose appended unique",
			base: "services: {s: {expose: ['80']}}", over: "services: {s: {expose: ['80', '81']}}",
			want: "services: {s: {expose: ['80', '81']}}"},
		{name: "unknown sequence appended",
			base: "services: {s: {x-list: [a]}}", over: "services: {s: {x-list: [a]}}",
			want: "services: {s: {x-list: [a, a]}}"},
		{name: "environment merged by key, list and mapping",
			base: "services: {s: {environment: [A=1, B=2]}}", over: "services: {s: {environment: {B: 3, C: 4}}}",
			want: "services: {s: {environment: {A: '1', B: 3, C: 4}}}"},
		{name: "labels lists merged by key",
			base: "services: {s: {labels: [a=1, b=2]}}", over: "services: {s: {labels: [b=3]}}",
			want: "services: {s: {labels: {a: '1', b: '3'}}}"},
		{name: "depends_on list onto mapping",
			base: "services: {s: {depends_on: {db: {condition: service_healthy}}}}", over: "services: {s: {depends_on: [cache]}}",
			want: "services: {s: {depends_on: {db: {condition: service_healthy}, cache: null}}}"},
		{name: "volumes merged by target",
			base: "services: {s: {volumes: ['./a:/data', './b:/b']}}", over: "services: {s: {volumes: ['./c:/data:ro', {type: bind, source: ./d, target: /d}]}}",
			want: "services: {s: {volumes: ['./c:/data:ro', './b:/b', {type: bind, source: ./d, target: /d}]}}"},
		{name: "ports merged by address, published port, target and protocol",
			base: "services: {s: {ports: ['8080:80', {target: 90, published: 9090}]}}", over: "services: {s: {ports: ['8080:80', {target: 90, published: 9090, mode: host}]}}",
			want: "services: {s: {ports: ['8080:80', {target: 90, published: 9090, mode: host}]}}"},
		{name: "secrets merged by target",
			base: "services: {s: {secrets: [a, {source: b, target: t}]}}", over: "services: {s: {secrets: [a, {source: c, target: t}]}}",
			want: "services: {s: {secrets: [a, {source: c, target: t}]}}"},
		{name: "reset removes",
			base: "services: {s: {image: a, ports: ['80:80'], dns: [x]}}", over: "services: {s: {ports: !reset [], dns: !reset null}}",
			want: "services: {s: {image: a}}"},
		{name: "reset of an absent key is nothing",
			base: "services: {s: {image: a}}", over: "services: {s: {ports: !reset []}}",
			want: "services: {s: {image: a}}"},
		{name: "override replaces a sequence",
			base: "services: {s: {ports: ['80:80', '81:81']}}", over: "services: {s: {ports: !override ['82:82']}}",
			want: "services: {s: {ports: ['82:82']}}"},
		{name: "override replaces a mapping",
			base: "services: {s: {environment: {A: '1'}}}", over: "services: {s: {environment: !override {B: '2'}}}",
			want: "services: {s: {environment: {B: '2'}}}"},
		{name: "anchors and merge keys expanded before merging",
			base: "x-d: &d {image: a, user: u}\nservices: {s: {<<: *d, user: v}, t: *d}", over: "services: {s: {image: b}}",
			want: "x-d: {image: a, user: u}\nservices: {s: {user: v, image: b}, t: {image: a, user: u}}"},
		{name: "environment KEY:VALUE is one bare key",
			base: "services: {s: {environment: ['A:1']}}", over: "services: {s: {environment: {B: '2'}}}",
			want: "services: {s: {environment: {'A:1': null, B: '2'}}}"},
		{name: "extra_hosts HOST:IP and HOST=IP by host",
			base: "services: {s: {extra_hosts: ['db:10.0.0.1', 'x=10.0.0.3']}}", over: "services: {s: {extra_hosts: {db: 10.0.0.2}}}",
			want: "services: {s: {extra_hosts: {db: 10.0.0.2, x: 10.0.0.3}}}"},
		{name: "env_file string onto list",
			base: "services: {s: {env_file: [a.env, b.env]}}", over: "services: {s: {env_file: c.env}}",
			want: "services: {s: {env_file: [a.env, b.env, c.env]}}"},
		{name: "build string merges with the long form",
			base: "services: {s: {build: ./app}}", over: "services: {s: {build: {dockerfile: Dev.Dockerfile}}}",
			want: "services: {s: {build: {context: ./app, dockerfile: Dev.Dockerfile}}}"},
		{name: "command string replaces a list",
			base: "services: {s: {command: [a, b]}}", over: "services: {s: {command: c d}}",
			want: "services: {s: {command: c d}}"},
		{name: "environments appended unique",
			base: "environments: {dev: [a, b]}", over: "environments: {dev: [b, c], ci: [a]}",
			want: "environments: {dev: [a, b, c], ci: [a]}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeYAML(t, tt.base, tt.over)
			if diff := cmp.Diff(normalize(t, tt.want), normalize(t, got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// normalize decodes and re-encodes YAML so that flow and block styles
// compare equal.
func normalize(t *testing.T, s string) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	clearStyle(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func clearStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode {
		n.Tag = ""
	}
	for _, c := range n.Content {
		clearStyle(c)
	}
}

func TestResetInOneFile(t *testing.T) {
	got := mergeYAML(t, "services: {s: {image: a, ports: !reset ['80:80']}}")
	if diff := cmp.Diff(normalize(t, "services: {s: {image: a}}"), normalize(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The hostile files of TestHostileYAML stay harmless when merged with
// another file, which expands their anchors.
func TestHostileYAMLMerged(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{name: "merge bomb", src: laughs(9), wantErr: "expand to more than"},
		{name: "small merge tree", src: laughs(3)},
		{name: "self alias", src: "services: &s {web: *s}\n", wantErr: `service "web" has no image`},
		{name: "self merge", src: "services:\n  web: &w {image: a, <<: *w}\n", wantErr: "merges a mapping into itself"},
		{name: "deep nesting", src: "services: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", wantErr: "services must be a mapping"},
		{name: "merge of scalar", src: "services:\n  web: {image: a, <<: 3}\n", wantErr: "<< must merge a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := parseSources([]Source{{Name: "a.yaml", Data: []byte(tt.src)}, {Name: "b.yaml", Data: []byte("name: x\n")}},
				LoadOptions{LookupEnv: lookupIn(nil)})
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("parsing took %v", d)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzMerge checks that merging two files never panics and that an
// accepted result survives a Format round trip.
func FuzzMerge(f *testing.F) {
	f.Add([]byte("services: {web: {image: a, ports: ['80:80'], environment: [A=1]}}"), []byte("services: {web: {ports: !reset [], environment: {B: 2}}}"))
	f.Add([]byte("x-d: &d {image: a}\nservices: {s: {<<: *d}}"), []byte("services: {s: {command: !override [a]}, t: {extends: s}}"))
	f.Add([]byte("services: {s: {image: a, volumes: ['./a:/a']}}"), []byte("services: {s: {volumes: [{type: bind, source: ./b, target: /a}]}}"))
	dir := filepath.Join(f.TempDir(), "proj")
	f.Fuzz(func(t *testing.T, a, b []byte) {
		srcs := []Source{{Name: filepath.Join(dir, "a.yaml"), Data: a}, {Name: filepath.Join(dir, "b.yaml"), Data: b}}
		p, err := parseSources(srcs, LoadOptions{LookupEnv: lookupIn(nil)})
		if err != nil {
			return
		}
		out, err := p.Format()
		if err != nil {
			t.Fatalf("Format: %v", err)
		}
		if _, err := Parse(srcs[0].Name, out, LoadOptions{LookupEnv: lookupIn(nil)}); err != nil {
			t.Fatalf("Format output does not parse: %v\n%s", err, out)
		}
	})
}
