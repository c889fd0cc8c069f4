package accesshub

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// preSplit is what testdata/pre-split-hub.json says of
// testdata/pre-split-hub.db.gz: a store written by the hub before access
// moved to this package (gw1 with testTargets, alice's grant of prod-db
// approved by bob, erin's pending request of db-ro), on a fixed clock.
type preSplit struct {
	Now          time.Time         `json:"now"`
	GatewayToken string            `json:"gateway_token"`
	Tokens       map[string]string `json:"tokens"`
	Granted      hubapi.Request    `json:"granted"`
	Pending      hubapi.Request    `json:"pending"`
}

// TestStoreFromBeforeTheSplit: a hub.db written when the hub ran access
// itself opens with its access data: the doctor finds it sound, the
// gateway's token still works and its grant is served, the pending
// request still waits for an approver, and the trail verifies.
func TestStoreFromBeforeTheSplit(t *testing.T) {
	var want preSplit
	raw, err := os.ReadFile("testdata/pre-split-hub.json")
	if err != nil || json.Unmarshal(raw, &want) != nil {
		t.Fatalf("reading the fixture: %v", err)
	}
	dir := t.TempDir()
	unzip(t, "testdata/pre-split-hub.db.gz", filepath.Join(dir, hub.StoreFile))
	if rep, err := hub.Doctor(hub.DoctorOptions{DataDir: dir}); err != nil || len(rep.Damage) != 0 {
		t.Fatalf("the doctor on the old store: %+v, %v", rep, err)
	}
	th := startHub(t, testOptions{DataDir: dir, Clock: clocktest.New(want.Now.Add(time.Minute)), RequestWindow: time.Hour})

	var gg hubapi.GatewayGrants
	if err := th.client.do(t.Context(), http.MethodGet, hubapi.PathGatewayGrants, want.GatewayToken, nil, &gg); err != nil {
		t.Fatalf("the gateway's token: %v", err)
	}
	if len(gg.Grants) != 1 || gg.Grants[0].RequestID != want.Granted.ID || !gg.Grants[0].NotAfter.Equal(want.Granted.NotAfter) {
		t.Errorf("gw1's grants: %+v; want alice's %s until %v", gg.Grants, want.Granted.ID, want.Granted.NotAfter)
	}
	var pending []hubapi.Request
	if err := th.client.do(t.Context(), http.MethodGet, hubapi.PathRequests+"?state=pending", want.Tokens["bob"], nil, &pending); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != want.Pending.ID {
		t.Errorf("bob's pending requests: %+v; want erin's %s", pending, want.Pending.ID)
	}
	gws, err := th.admin.Gateways(t.Context())
	if err != nil || len(gws) != 1 || !slices.Equal(gws[0].Targets, []string{"db-ro", "logs", "prod-db"}) {
		t.Errorf("gateways: %+v, %v", gws, err)
	}
	recs, err := th.admin.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyWhole(recs); err != nil {
		t.Errorf("the old trail: %v", err)
	}
}

func unzip(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
