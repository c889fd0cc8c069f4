package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTargets(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		tag     string
		want    []string // refs
		wantErr bool
	}{
		{name: "all by default", tag: "dev", want: []string{
			"devenv-example/store:dev", "devenv-example/passport:dev", "devenv-example/works:dev",
			"devenv-example/message:dev", "devenv-example/boss:dev", "devenv-example/web:dev",
			"devenv-example/testsvc:dev"}},
		{name: "named with tag", args: []string{"web", "store"}, tag: "v2",
			want: []string{"devenv-example/web:v2", "devenv-example/store:v2"}},
		{name: "unknown", args: []string{"db"}, tag: "dev", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := targets(tt.args, "devenv-example", tt.tag)
			if (err != nil) != tt.wantErr {
				t.Fatalf("targets error = %v, wantErr %v", err, tt.wantErr)
			}
			var refs []string
			for _, x := range ts {
				refs = append(refs, x.Ref)
				if x.Pkg != modulePath+x.Service {
					t.Errorf("%s builds %s", x.Service, x.Pkg)
				}
			}
			if diff := cmp.Diff(tt.want, refs); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
		})
	}
}
