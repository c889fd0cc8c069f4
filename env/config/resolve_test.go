package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	src := `
environments:
  backend: [works]
  front: [web, message]
services:
  mysql: {image: mysql}
  message: {image: rabbitmq}
  works: {image: works, depends_on: {mysql: {condition: service_healthy}, message: {}}}
  web: {image: web, depends_on: [works]}
  tools: {image: tools}
`
	withDefault := "environments:\n  default: [tools]\n" + src[strings.Index(src, "services:"):]
	tests := []struct {
		name, src, env string
		want           []string
		wantErr        string
	}{
		{name: "named", src: src, env: "backend", want: []string{"message", "mysql", "works"}},
		{name: "transitive", src: src, env: "front", want: []string{"message", "mysql", "web", "works"}},
		{name: "undeclared default is all", src: src, env: "", want: []string{"message", "mysql", "tools", "web", "works"}},
		{name: "undeclared default by name", src: src, env: "default", want: []string{"message", "mysql", "tools", "web", "works"}},
		{name: "declared default", src: withDefault, env: "", want: []string{"tools"}},
		{name: "unknown", src: src, env: "backnd",
			wantErr: `unknown environment "backnd" (did you mean "backend"?); known environments are "backend", "default", "front"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("envs.yaml", []byte(tt.src), LoadOptions{LookupEnv: lookupIn(nil)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Resolve(tt.env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClosure(t *testing.T) {
	p, err := Parse("envs.yaml", []byte("services:\n  db: {image: db}\n  api: {image: api, depends_on: [db]}\n  web: {image: web}\n"),
		LoadOptions{LookupEnv: lookupIn(nil)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		services []string
		want     []string
		wantErr  string
	}{
		{name: "with deps", services: []string{"api"}, want: []string{"api", "db"}},
		{name: "several", services: []string{"web", "db", "api"}, want: []string{"api", "db", "web"}},
		{name: "none", services: nil, want: []string{}},
		{name: "unknown", services: []string{"apj"}, wantErr: `unknown service "apj" (did you mean "api"?); known services are "api", "db", "web"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Closure(tt.services)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
