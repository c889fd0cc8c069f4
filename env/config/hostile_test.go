package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// laughs builds nested merges where each level merges the previous one ten
// times: naive expansion would take 10^depth steps.
func laughs(depth int) string {
	var b strings.Builder
	b.WriteString("x-l0: &l0 {image: a}\n")
	for i := 1; i <= depth; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "x-l%d: &l%d {<<: [%s]}\n", i, i, refs)
	}
	fmt.Fprintf(&b, "services:\n  web: {<<: *l%d}\n", depth)
	return b.String()
}

func TestHostileYAML(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{name: "merge bomb", src: laughs(9)},
		{name: "self alias", src: "services: &s {web: *s}\n", wantErr: `service "web" has no image`},
		{name: "self merge", src: "services:\n  web: &w {image: a, <<: *w}\n", wantErr: "merges a mapping into itself"},
		{name: "deep nesting", src: "services: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", wantErr: "services must be a mapping"},
		{name: "tab indentation", src: "services:\n\tweb: {image: a}\n", wantErr: "invalid YAML"},
		{name: "non-string key", src: "services:\n  [a]: {image: a}\n", wantErr: "mapping keys must be strings"},
		{name: "merge of scalar", src: "services:\n  web: {image: a, <<: 3}\n", wantErr: "<< must merge a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("envs.yaml", []byte(tt.src), LoadOptions{LookupEnv: lookupIn(nil)})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Parse took %v", d)
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
