package images

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render is the plain text of an event, without its time.
func render(e Event) string {
	s := fmt.Sprintf("%s %s layers %d/%d bytes %d/%d", e.Image, e.Status, e.LayersDone, e.Layers, e.Current, e.Total)
	if e.Error != "" {
		s += " error: " + e.Error
	}
	return s
}

// replay feeds a recorded stream to a progress, one message every step.
func replay(t *testing.T, path string, step time.Duration) (*progress, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newProgress("reg/app:1", []string{"app"})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m jsonMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		p.apply(&m)
		if e, ok := p.event(now); ok {
			lines = append(lines, fmt.Sprintf("+%3dms %s", now.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Milliseconds(), render(e)))
		}
		now = now.Add(step)
	}
	lines = append(lines, "final  "+render(p.final(now)))
	return p, lines
}

func TestProgressGolden(t *testing.T) {
	for _, step := range []time.Duration{10 * time.Millisecond, 150 * time.Millisecond} {
		t.Run(step.String(), func(t *testing.T) {
			p, lines := replay(t, recordedStream, step)
			got := strings.Join(lines, "\n") + "\n"
			golden := fmt.Sprintf("testdata/pull-%s.golden", step)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("events (-%s +got):\n%s", golden, d)
			}
			if !strings.HasPrefix(p.digest, "sha256:") {
				t.Errorf("digest = %q, want the stream's", p.digest)
			}
		})
	}
}

func TestProgressThrottle(t *testing.T) {
	p := newProgress("x", nil)
	start := time.Now()
	emitted := 0
	for i := range 100 { // 1 s of updates every 10 ms
		m := jsonMessage{ID: "l1", Status: "Downloading"}
		m.ProgressDetail.Current, m.ProgressDetail.Total = int64(i+1), 100
		p.apply(&m)
		if _, ok := p.event(start.Add(time.Duration(i) * 10 * time.Millisecond)); ok {
			emitted++
		}
	}
	if emitted < 9 || emitted > 11 {
		t.Errorf("%d events for 1 s of byte updates, want about 10", emitted)
	}
}

func TestProgressUpToDate(t *testing.T) {
	p := newProgress("x", nil)
	for _, s := range []string{"Pulling from x", "Digest: sha256:abc", "Status: Image is up to date for x:1"} {
		p.apply(&jsonMessage{Status: s})
	}
	if got := p.final(time.Now()); got.Status != StatusUpToDate || got.Layers != 0 {
		t.Errorf("final = %s, want up to date with no layers", render(got))
	}
}
