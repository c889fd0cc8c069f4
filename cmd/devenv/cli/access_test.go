package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/access"
	"github.com/devenv-dev/devenv/internal/clock/clocktest"
	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// accessHub is a fake hub for the access commands: it keeps requests,
// answers every access path, and records everything it was sent.
type accessHub struct {
	mu       sync.Mutex
	seen     []string                   // guarded by mu; every request line, header and body
	requests map[string]*hubapi.Request // guarded by mu
	grants   map[string]hubapi.Grant    // guarded by mu
	audit    []hubapi.AuditRecord       // guarded by mu
	refuse   map[string]hubapi.Error    // guarded by mu; path -> refusal (403)
	decideOn int                        // guarded by mu; deny every pending request at this Grant call
	grantN   int                        // guarded by mu
}

func (h *accessHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, r.Method+" "+r.URL.String()+"\n"+r.Header.Get("Authorization")+"\n"+string(body))
	if r.Header.Get("Authorization") != "Bearer dev-token" {
		writeHubError(w, http.StatusUnauthorized, hubapi.Error{Code: "unauthorized", Message: "the hub does not know this device's token"})
		return
	}
	if e, ok := h.refuse[r.URL.Path]; ok {
		writeHubError(w, http.StatusForbidden, e)
		return
	}
	switch r.URL.Path {
	case hubapi.PathTargets:
		writeJSON(w, []hubapi.Target{{Name: "api", Protocol: "http", MaxTTL: time.Hour, BreakGlass: true},
			{Name: "db", Protocol: "postgres", MaxTTL: 30 * time.Minute, Approvers: []string{"bob"}, ApproverRole: "admin"}})
	case hubapi.PathRequests:
		h.serveRequestsLocked(w, r, body)
	case hubapi.PathApprove, hubapi.PathDeny, hubapi.PathRevokeGrant:
		var in struct{ ID string }
		_ = json.Unmarshal(body, &in)
		state := map[string]string{hubapi.PathApprove: hubapi.StateApproved, hubapi.PathDeny: hubapi.StateDenied,
			hubapi.PathRevokeGrant: hubapi.StateRevoked}[r.URL.Path]
		writeJSON(w, hubapi.Request{ID: in.ID, Requester: "ann", Target: "api", State: state})
	case hubapi.PathGrant:
		h.serveGrantLocked(w, r)
	case hubapi.PathAudit:
		writeJSON(w, h.audit)
	default:
		writeHubError(w, http.StatusNotFound, hubapi.Error{Code: "not_found"})
	}
}

func (h *accessHub) serveRequestsLocked(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method == http.MethodGet {
		var rs []hubapi.Request
		for _, req := range h.requests {
			rs = append(rs, *req)
		}
		writeJSON(w, rs)
		return
	}
	var in hubapi.AccessRequest
	_ = json.Unmarshal(body, &in)
	req := &hubapi.Request{ID: "r1", Requester: "ann", Target: in.Target, For: in.For, Reason: in.Reason, State: hubapi.StatePending}
	h.requests[req.ID] = req
	writeJSON(w, req)
}

func (h *accessHub) serveGrantLocked(w http.ResponseWriter, r *http.Request) {
	h.grantN++
	id := r.URL.Query().Get("id")
	if g, ok := h.grants[id]; ok {
		writeJSON(w, g)
		return
	}
	if req := h.requests[id]; req != nil && h.grantN == h.decideOn {
		req.State, req.Approver, req.DenyReason = hubapi.StateDenied, "bob", "not during the release"
	}
	writeHubError(w, http.StatusConflict, hubapi.Error{Code: "pending", Message: "the request waits for an approver"})
}

func writeHubError(w http.ResponseWriter, status int, e hubapi.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// everything is all the fake hub was sent.
func (h *accessHub) everything() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.seen, "\n")
}

// newAccessHub serves a fake hub over TLS and returns it with a vpn state
// directory joined to it.
func newAccessHub(t *testing.T) (*accessHub, string) {
	t.Helper()
	h := &accessHub{requests: map[string]*hubapi.Request{}, grants: map[string]hubapi.Grant{}, refuse: map[string]hubapi.Error{}}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	st, _ := json.Marshal(vpn.State{HubURL: srv.URL, Fingerprint: hubclient.Fingerprint(srv.Certificate().Raw),
		Token: "dev-token", Name: "laptop", User: "ann"})
	if err := os.WriteFile(filepath.Join(dir, "state.json"), st, 0o600); err != nil {
		t.Fatal(err)
	}
	return h, dir
}

func runAccess(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(t.Context(), append([]string{"access", "--state-dir", dir}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestAccessRequestPrintsIDAndKeepsTheKeyHere(t *testing.T) {
	h, dir := newAccessHub(t)
	out, errs, code := runAccess(t, dir, "request", "api", "--for", "30m", "--reason", "bug 1234")
	if code != 0 || out != "r1\n" || !strings.Contains(errs, "request r1 for api: pending") {
		t.Fatalf("request: exit %d\nstdout %q\nstderr %q", code, out, errs)
	}
	path := filepath.Join(dir, "access", "r1.key")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	key, _ := os.ReadFile(path)
	priv := strings.TrimSpace(string(key))
	sent := h.everything()
	if strings.Contains(sent, priv) {
		t.Errorf("the private key reached the hub:\n%s", sent)
	}
	ks, _ := access.NewKeyStore(dir)
	k, _ := ks.Load("r1")
	if !strings.Contains(sent, `"public_key":"`+k.PublicKey().String()+`"`) {
		t.Errorf("the public key was not sent:\n%s", sent)
	}
}

func TestAccessRequestWaitSaysDenied(t *testing.T) {
	h, dir := newAccessHub(t)
	h.decideOn = 2
	out, errs, code := runAccess(t, dir, "request", "api", "--reason", "bug", "--wait")
	if code != ExitAccessDenied || out != "r1\n" || !strings.Contains(errs, "denied by bob: not during the release") {
		t.Errorf("request --wait: exit %d\nstdout %q\nstderr %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "access", "r1.key")); !os.IsNotExist(err) {
		t.Errorf("the denied request's key is still there: %v", err)
	}
}

func TestAccessCommandErrorsAreOneLine(t *testing.T) {
	h, dir := newAccessHub(t)
	h.refuse[hubapi.PathApprove] = hubapi.Error{Code: "self_approval", Message: "nobody decides their own request; ask another approver"}
	h.refuse[hubapi.PathDeny] = hubapi.Error{Code: "forbidden", Message: "deciding needs the approver role"}
	h.refuse[hubapi.PathRevokeGrant] = hubapi.Error{Code: "request_unknown", Message: "no such request; list them with devenv access list"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"self approval", []string{"approve", "r1"}, 1, "devenv: approving r1: hub: nobody decides their own request; ask another approver\n"},
		{"forbidden", []string{"deny", "r1", "--reason", "no"}, 1, "devenv: denying r1: hub: deciding needs the approver role\n"},
		{"unknown", []string{"revoke", "r9"}, 1, "devenv: revoking r9: hub: no such request; list them with devenv access list\n"},
		{"deny needs a reason", []string{"deny", "r1"}, 2, "devenv: --reason is required: the requester sees it\n"},
		{"request needs a reason", []string{"request", "api"}, 2,
			"devenv: --reason is required: say why you need access, e.g. --reason \"bug 1234\"\n"},
		{"both filters", []string{"list", "--pending", "--mine"}, 2, "devenv: --pending and --mine exclude each other\n"},
		{"bad since", []string{"audit", "--since", "yesterday"}, 2,
			"devenv: --since \"yesterday\": want a duration back, e.g. 24h or 7d, or a time, e.g. 2026-05-01T09:00:00Z\n"},
		{"not joined", []string{"--state-dir", t.TempDir(), "targets"}, 1, "devenv: " + vpn.ErrNotJoined.Error() + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, code := runAccess(t, dir, tt.args...)
			if code != tt.code || errs != tt.want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestAccessDecisions(t *testing.T) {
	h, dir := newAccessHub(t)
	for _, tt := range []struct{ args []string }{
		{[]string{"approve", "r1", "--for", "15m"}}, {[]string{"deny", "r1", "--reason", "not now"}}, {[]string{"revoke", "r1"}},
	} {
		if _, errs, code := runAccess(t, dir, tt.args...); code != 0 || !strings.HasPrefix(errs, "request r1 (ann for api): ") {
			t.Errorf("%v: exit %d: %q", tt.args, code, errs)
		}
	}
	sent := h.everything()
	for _, want := range []string{`{"id":"r1","for":900000000000}`, `{"id":"r1","reason":"not now"}`, `{"id":"r1"}`} {
		if !strings.Contains(sent, want) {
			t.Errorf("the hub was not sent %s", want)
		}
	}
}

func TestAccessTargetsAndList(t *testing.T) {
	h, dir := newAccessHub(t)
	out, _, code := runAccess(t, dir, "targets")
	want := `NAME  PROTOCOL  MAX TTL  APPROVERS        BREAK-GLASS
api   http      1h       role approver    yes, 15m
db    postgres  30m      bob, role admin  no
`
	if diff := cmp.Diff(want, out); code != 0 || diff != "" {
		t.Errorf("targets: exit %d (-want +got):\n%s", code, diff)
	}
	h.requests["r1"] = &hubapi.Request{ID: "r1", Requester: "ann", Target: "api", State: hubapi.StatePending, For: 30 * time.Minute, Reason: "bug\n1234"}
	out, _, code = runAccess(t, dir, "list", "--pending", "-o", "json")
	var rs []hubapi.Request
	if err := json.Unmarshal([]byte(out), &rs); code != 0 || err != nil || len(rs) != 1 || rs[0].ID != "r1" {
		t.Errorf("list -o json: exit %d, %v: %s", code, err, out)
	}
	if !strings.Contains(h.everything(), "GET "+hubapi.PathRequests+"?state=pending") {
		t.Error("list --pending did not ask for state=pending")
	}
}

func TestWriteRequests(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.Local)
	rs := []hubapi.Request{
		{ID: "r1", Target: "api", Requester: "ann", State: "pending", For: 30 * time.Minute, Reason: "bug\n 1234"},
		{ID: "r2", Target: "db", Requester: "cid", State: "approved", Emergency: true, NotAfter: now.Add(10 * time.Minute)},
		{ID: "r3", Target: "db", Requester: "ann", State: "denied", Decided: now.Add(-time.Hour)},
		{ID: "r4", Target: "db", Requester: "ann", State: "approved", Decided: now.Add(-time.Hour), NotAfter: now.Add(-time.Second)},
	}
	want := `ID  TARGET  REQUESTER  STATE                 TIME                         REASON
r1  api     ann        pending               asks 30m                     bug 1234
r2  db      cid        approved (emergency)  until 12:10:00, 10m00s left  
r3  db      ann        denied                2026-05-01 11:00:00          
r4  db      ann        expired               2026-05-01 11:00:00          
`
	var b bytes.Buffer
	_ = writeRequests(&b, rs, now)
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// chain returns n audit records correctly chained.
func chain(n int) []hubapi.AuditRecord {
	var rs []hubapi.AuditRecord
	prev := ""
	for i := 1; i <= n; i++ {
		r := hubapi.AuditRecord{Seq: uint64(i), Time: time.Date(2026, 5, 1, 12, i, 0, 0, time.UTC), Actor: "ann",
			Action: "request", Target: "api", RequestID: "r1", Detail: map[string]string{"path": "/orders"}, PrevHash: prev}
		r.Hash = hubapi.AuditHash(r)
		prev = r.Hash
		rs = append(rs, r)
	}
	return rs
}

func TestAccessAuditVerify(t *testing.T) {
	h, dir := newAccessHub(t)
	h.audit = chain(3)
	out, errs, code := runAccess(t, dir, "audit", "--verify")
	if want := "OK: 3 records, 1 to 3; last hash " + h.audit[2].Hash + "\n"; code != 0 || out != want {
		t.Errorf("verify intact: exit %d, %q, %q", code, out, errs)
	}
	h.mu.Lock()
	h.audit[1].Detail = map[string]string{"path": "/elsewhere"}
	h.mu.Unlock()
	out, errs, code = runAccess(t, dir, "audit", "--verify")
	if want := "devenv: audit chain broken: audit record 2: hash does not match its content (edited?)\n"; code != ExitAuditBroken || errs != want || out != "" {
		t.Errorf("verify edited: exit %d, %q, %q", code, out, errs)
	}
	h.mu.Lock()
	h.audit = append(chain(3)[:1], chain(3)[2])
	h.mu.Unlock()
	if _, errs, code = runAccess(t, dir, "audit", "--verify"); code != ExitAuditBroken || !strings.Contains(errs, "record 2 is missing") {
		t.Errorf("verify removed: exit %d, %q", code, errs)
	}
	out, _, code = runAccess(t, dir, "audit", "--target", "api", "--since", "24h")
	if code != 0 || !strings.Contains(out, "ann    request  api     r1       -        path=/orders") {
		t.Errorf("audit table: exit %d:\n%s", code, out)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"24h", now.Add(-24 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"7d", now.AddDate(0, 0, -7), false},
		{"2026-05-01T09:00:00+02:00", time.Date(2026, 5, 1, 7, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"0d", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestConnectHint(t *testing.T) {
	tests := []struct{ protocol, addr, want string }{
		{"http", "127.0.0.1:8080", "curl http://127.0.0.1:8080/"},
		{"postgres", "127.0.0.1:5432", "psql -h 127.0.0.1 -p 5432"},
		{"redis", "127.0.0.1:6380", "redis-cli -h 127.0.0.1 -p 6380"},
		{"tcp", "127.0.0.1:40000", "connect to 127.0.0.1:40000"},
	}
	for _, tt := range tests {
		if got := connectHint(tt.protocol, tt.addr); got != tt.want {
			t.Errorf("connectHint(%s, %s) = %q, want %q", tt.protocol, tt.addr, got, tt.want)
		}
	}
}

// TestAccessConnectExitsAtTheDeadline runs connect against a grant and
// moves a fake clock to its deadline once connect has armed it. No gateway
// answers: the tunnel, the listener, the message and the exit status are
// the CLI's part (access tests the traffic).
func TestAccessConnectExitsAtTheDeadline(t *testing.T) {
	h, dir := newAccessHub(t)
	if _, errs, code := runAccess(t, dir, "request", "api", "--reason", "bug"); code != 0 {
		t.Fatalf("request: %s", errs)
	}
	clk := clocktest.New(time.Now())
	connectClock = clk
	t.Cleanup(func() { connectClock = nil })
	ks, _ := access.NewKeyStore(dir)
	k, _ := ks.Load("r1")
	notAfter := clk.Now().Add(time.Hour)
	h.mu.Lock()
	h.requests["r1"].State, h.requests["r1"].NotAfter = hubapi.StateApproved, notAfter
	h.grants["r1"] = hubapi.Grant{RequestID: "r1", Target: "api", Protocol: "http", PublicKey: k.PublicKey().String(),
		ClientAddress: "100.101.0.9/32", NotAfter: notAfter, Gateway: hubapi.Gateway{Name: "gw",
			PublicKey: k.PublicKey().String(), Endpoint: "127.0.0.1:9", Address: "100.101.0.1/32", TargetAddress: "100.101.0.1:10000"}}
	h.mu.Unlock()
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		out, errs, code := runAccess(t, dir, "connect", "api", "--port", "0")
		done <- result{out, errs, code}
	}()
	giveUp := make(chan struct{})
	stop := time.AfterFunc(testutil.Timeout(), func() { close(giveUp) })
	defer stop.Stop()
	if !clk.WaitForTimers(1, giveUp) {
		t.Fatalf("connect armed no deadline within %s", testutil.Timeout())
	}
	clk.Set(notAfter)
	r := testutil.Receive(t, "connect's exit at the deadline", done)
	wantEnd := "access to api ended at " + notAfter.Format("15:04:05") + ": the grant expired\n"
	if r.code != ExitAccessEnded || !strings.HasPrefix(r.out, "127.0.0.1:") || !strings.HasSuffix(r.errs, wantEnd) ||
		!strings.Contains(r.errs, "curl http://127.0.0.1:") {
		t.Errorf("connect: exit %d\nstdout %q\nstderr %q", r.code, r.out, r.errs)
	}
}
