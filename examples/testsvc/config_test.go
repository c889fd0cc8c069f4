package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr bool
	}{
		{
			name: "defaults",
			want: config{Listen: ":8080", Exit: -1},
		},
		{
			name: "env overrides defaults",
			env: map[string]string{"TESTSVC_LISTEN": ":9000", "TESTSVC_READY_AFTER": "2s",
				"TESTSVC_DEPS": "http://a:8080, http://b:8080", "TESTSVC_UNHEALTHY": "true"},
			want: config{Listen: ":9000", ReadyAfter: 2 * time.Second, Exit: -1, Unhealthy: true,
				Deps: []string{"http://a:8080", "http://b:8080"}},
		},
		{
			name: "flags override env",
			args: []string{"-listen", ":7000", "-exit", "0", "-heartbeat", "1s", "-fail-after", "5s"},
			env:  map[string]string{"TESTSVC_LISTEN": ":9000", "TESTSVC_EXIT": "4"},
			want: config{Listen: ":7000", Exit: 0, Heartbeat: time.Second, FailAfter: 5 * time.Second},
		},
		{
			name:    "bad env value",
			env:     map[string]string{"TESTSVC_READY_AFTER": "soon"},
			wantErr: true,
		},
		{
			name:    "stray argument",
			args:    []string{"serve"},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseConfig (-want +got):\n%s", diff)
			}
		})
	}
}
