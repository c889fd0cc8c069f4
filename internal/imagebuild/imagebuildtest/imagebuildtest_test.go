package imagebuildtest

import (
	"context"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// Two runs build the same program into images of their own, and each
// removes only its own.
func TestRunsOwnTheirImages(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Docker Engine; skipped with -short")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := t.Context()
	a, b := New(), New()
	for _, r := range []*Run{a, b} {
		t.Cleanup(func() { _ = r.Remove(context.Background(), cli) })
	}
	refA, err := a.Testsvc(ctx, cli)
	if err != nil {
		t.Fatalf("the Docker Engine is required for this test: %v", err)
	}
	refB, err := b.Testsvc(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	imgA, err := cli.ImageInspect(ctx, refA)
	if err != nil {
		t.Fatal(err)
	}
	imgB, err := cli.ImageInspect(ctx, refB)
	if err != nil {
		t.Fatal(err)
	}
	if refA == refB || imgA.ID == imgB.ID {
		t.Fatalf("two runs share %s (%s)", refA, imgA.ID)
	}
	if err := a.Remove(ctx, cli); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ImageInspect(ctx, imgA.ID); !cerrdefs.IsNotFound(err) {
		t.Errorf("run a's image after its Remove: %v, want it gone", err)
	}
	if _, err := cli.ImageInspect(ctx, refB); err != nil {
		t.Errorf("run b's image after run a's Remove: %v", err)
	}
}
