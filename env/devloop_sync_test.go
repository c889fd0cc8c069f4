package env

import (
	"testing"

	"github.com/devenv-dev/devenv/env/config"
)

func TestContainerPath(t *testing.T) {
	dirRule := config.WatchRule{Path: "/src/web", Target: "/app"}
	fileRule := config.WatchRule{Path: "/src/web/nginx.conf", Target: "/etc/nginx/nginx.conf"}
	tests := []struct {
		name string
		rule config.WatchRule
		path string
		want string
		ok   bool
	}{
		{"a file under a directory rule", dirRule, "/src/web/a/b.js", "/app/a/b.js", true},
		{"a file rule's file goes to the target itself", fileRule, "/src/web/nginx.conf", "/etc/nginx/nginx.conf", true},
		{"outside the rule", dirRule, "/src/api/main.go", "", false},
		{"a sibling with the same prefix is outside", dirRule, "/src/web2/x", "", false},
		{"a name starting with .. is inside", dirRule, "/src/web/..data", "/app/..data", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := containerPath(tt.rule, tt.path)
			if got != tt.want || ok != tt.ok {
				t.Errorf("containerPath(%s) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}
