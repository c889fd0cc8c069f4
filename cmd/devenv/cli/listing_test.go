package cli

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
)

func TestImagesOutput(t *testing.T) {
	id := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	rows := []env.ImageUse{
		{Service: "api", Container: "demo-api", Repository: "127.0.0.1:5000/team/api", Tag: "2", ID: id, Size: 3 << 20},
		{Service: "worker", Container: "demo-worker", Repository: "127.0.0.1:5000/team/api", Tag: "2", ID: id, Size: 3 << 20},
		{Service: "db", Container: "demo-db", Repository: "<none>", Tag: "<none>", ID: "sha256:fedcba9876543210", Size: 512},
	}
	var b bytes.Buffer
	if err := writeImagesTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := `CONTAINER    REPOSITORY               TAG     IMAGE ID      SIZE
demo-api     127.0.0.1:5000/team/api  2       0123456789ab  3.0 MiB
demo-worker  127.0.0.1:5000/team/api  2       0123456789ab  3.0 MiB
demo-db      <none>                   <none>  fedcba987654  512 B
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("images table (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := writeImageIDs(&b, rows); err != nil {
		t.Fatal(err)
	}
	if want := id + "\nsha256:fedcba9876543210\n"; b.String() != want {
		t.Errorf("images -q = %q, want %q", b.String(), want)
	}
}

func TestLsTable(t *testing.T) {
	rows := []env.ProjectSummary{
		{Name: "demo", States: map[string]int{"exited": 1, "running": 2, "created": 1}, Services: 4},
		{Name: "shop", States: map[string]int{"exited": 3}, Services: 3, ConfigFiles: []string{"/src/shop/compose.yaml", "/src/shop/compose.override.yaml"}},
	}
	var b bytes.Buffer
	if err := writeLsTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := `NAME  STATUS                             SERVICES  CONFIG FILES
demo  running(2), created(1), exited(1)  4         -
shop  exited(3)                          3         /src/shop/compose.yaml,/src/shop/compose.override.yaml
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("ls table (-want +got):\n%s", diff)
	}
}
