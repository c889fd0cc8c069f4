package paneltest

import (
	"io"
	"testing"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine/enginetest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/tui"
)

// UI is the whole UI (tui.Run) on an empty project of a fake engine, with
// the panels as its extra tabs: what a user quits.
type UI struct {
	t     *testing.T
	keys  *io.PipeWriter
	ended chan error // Run's result
}

// RunUI starts tui.Run with panels under the test's context; the test types
// into it with Type.
func RunUI(t *testing.T, panels ...tui.Panel) *UI {
	t.Helper()
	p, err := config.Parse("/src/envs.yaml", []byte("name: quit\nservices:\n  app: {image: app:1}\n"),
		config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("parsing the test project: %v", err)
	}
	in, keys := io.Pipe()
	ui := &UI{t: t, keys: keys, ended: make(chan error, 1)}
	go func() {
		ui.ended <- tui.Run(t.Context(), tui.Options{Project: p, Engine: enginetest.New(), Panels: panels}, in, io.Discard)
	}()
	t.Cleanup(func() {
		keys.Close()
		testutil.Receive(t, "the UI's end with the test", ui.ended)
	})
	return ui
}

// Type sends keys as the terminal would: "q" is the quit key.
func (ui *UI) Type(keys string) {
	ui.t.Helper()
	if _, err := io.WriteString(ui.keys, keys); err != nil {
		ui.t.Fatalf("typing %q: %v", keys, err)
	}
}

// Quit types q and waits for Run to return, which must be without error;
// then the terminal goes away, as it does after a quit.
func (ui *UI) Quit() {
	ui.t.Helper()
	ui.Type("q")
	err := testutil.Receive(ui.t, "the UI's end after q", ui.ended)
	ui.ended <- err // for the cleanup
	if err != nil {
		ui.t.Fatalf("the UI ended with %v", err)
	}
	ui.keys.Close()
}
