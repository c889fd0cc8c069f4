package kv_test

import (
	"errors"
	"testing"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/stacktest"
	"github.com/google/go-cmp/cmp"
)

func TestKVRoundTrip(t *testing.T) {
	ctx := t.Context()
	s := api.NewStore(stacktest.Store(t))
	if _, err := s.Get(ctx, "users/nobody"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("Get missing key: %v, want ErrNotFound", err)
	}
	for _, k := range []string{"works/2", "works/1", "users/x"} {
		if err := s.Put(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, "works/1")
	if err != nil || string(got) != "v-works/1" {
		t.Fatalf("Get works/1 = %q, %v", got, err)
	}
	items, err := s.List(ctx, "works/")
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Item{{Key: "works/1", Value: "v-works/1"}, {Key: "works/2", Value: "v-works/2"}}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("List works/ (-want +got):\n%s", diff)
	}
}
