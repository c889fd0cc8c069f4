package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// contactFile holds when the hub last answered, so that a gateway started
// while the hub is away serves its saved grants only for what is left of
// the grace, measured from that contact rather than from its own start.
const contactFile = "hub.contact"

// contactSaveEvery bounds the writes of contactFile: the hub may answer
// many times a second (every change of grants ends a long-poll), and a
// write each time would be a storm. The saved time therefore lags the
// real contact by less than contactSaveEvery while the gateway runs, and
// not at all after a clean stop (Close saves it). The lag only makes a
// gateway restarted after a crash fail closed that much earlier, never
// later.
const contactSaveEvery = 5 * time.Second

// loadContact reads the last saved contact with the hub; zero when none
// was saved.
func loadContact(dir string) (time.Time, error) {
	b, err := os.ReadFile(filepath.Join(dir, contactFile))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the last contact with the hub: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("reading %s: %w; delete it to make the gateway wait for the hub before serving saved grants",
			filepath.Join(dir, contactFile), err)
	}
	return t, nil
}

// restoreContact starts the gateway's clock of the hub's absence from the
// saved contact. A gateway whose contact is older than the grace, or that
// has none, starts failed closed: its saved grants wait for the hub.
func (gw *Gateway) restoreContact(savedGrants int) error {
	saved, err := loadContact(gw.cfg.StateDir)
	if err != nil {
		return err
	}
	now := gw.clock.Now()
	if saved.After(now) {
		saved = now // a clock set back must not lengthen the grace
	}
	gw.mu.Lock()
	gw.lastContact, gw.savedContact = saved, saved
	gw.failedClosed = now.Sub(saved) > gw.cfg.Grace
	gw.mu.Unlock()
	switch {
	case gw.failedClosed && savedGrants > 0:
		gw.log.Warn("the hub was last reached longer than the grace ago; saved grants wait for the hub to confirm them",
			"last_contact", saved, "grace", gw.cfg.Grace, "grants", savedGrants)
	case savedGrants > 0:
		gw.log.Info("serving saved grants until the hub answers, for what is left of the grace",
			"last_contact", saved, "left", gw.cfg.Grace-now.Sub(saved), "grants", savedGrants)
	}
	return nil
}

// saveContact writes the last contact with the hub when it is at least
// every (0: any amount) newer than the one saved.
func (gw *Gateway) saveContact(every time.Duration) {
	gw.contactMu.Lock()
	defer gw.contactMu.Unlock()
	gw.mu.Lock()
	last, saved := gw.lastContact, gw.savedContact
	gw.mu.Unlock()
	if !last.After(saved) || last.Sub(saved) < every {
		return
	}
	b := []byte(last.UTC().Format(time.RFC3339Nano) + "\n")
	if err := writeFileAtomic(filepath.Join(gw.cfg.StateDir, contactFile), b); err != nil {
		gw.log.Error("saving the last contact with the hub", "err", err)
		return
	}
	gw.mu.Lock()
	gw.savedContact = last
	gw.mu.Unlock()
}
