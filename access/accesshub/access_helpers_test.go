package accesshub

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// accessHub is a hub with gateway gw1 serving testTargets, and these users:
// alice and erin (developers), bob and carol (approvers), dave (admin).
type accessHub struct {
	*testHub
	gwToken string
	gwKey   string
	tokens  map[string]string // user -> device token
	held    chan string       // the key of each long-poll once it waits
}

// heldHook makes opts report each waiting long-poll on the returned
// channel, besides to the hook opts had.
func heldHook(opts *testOptions) chan string {
	held, user := make(chan string, 256), opts.pollHeld
	opts.pollHeld = func(key string) {
		if user != nil {
			user(key)
		}
		select {
		case held <- key:
		default:
		}
	}
	return held
}

// testTargets: prod-db only bob (and admins) approve; logs auto-approves
// developers for up to 5 minutes; db-ro allows break-glass for 10 minutes
// and lets every approver approve.
func testTargets() []hubapi.Target {
	return []hubapi.Target{
		{Name: "prod-db", Protocol: hubapi.ProtocolHTTP, MaxTTL: time.Hour, Approvers: []string{"bob"}},
		{Name: "logs", Protocol: hubapi.ProtocolHTTP, MaxTTL: 30 * time.Minute, AutoApproveRole: hubapi.RoleDeveloper, AutoApproveTTL: 5 * time.Minute},
		{Name: "db-ro", Protocol: hubapi.ProtocolTCP, MaxTTL: time.Hour, BreakGlass: true, BreakGlassTTL: 10 * time.Minute, Port: 5432},
	}
}

var testUsers = map[string]hubapi.Role{
	"alice": hubapi.RoleDeveloper, "erin": hubapi.RoleDeveloper,
	"bob": hubapi.RoleApprover, "carol": hubapi.RoleApprover, "dave": hubapi.RoleAdmin,
}

func startAccessHub(t *testing.T, opts testOptions) *accessHub {
	t.Helper()
	held := heldHook(&opts)
	ah := &accessHub{testHub: startHub(t, opts), tokens: map[string]string{}, held: held}
	for user, role := range testUsers {
		ah.tokens[user] = ah.member(t, user, role)
	}
	gw, err := ah.admin.AddGateway(t.Context(), "gw1")
	if err != nil {
		t.Fatalf("AddGateway: %v", err)
	}
	ah.gwToken, ah.gwKey = gw.Token, newPublicKey(t)
	ah.register(t, ah.gwToken, testTargets())
	return ah
}

// reopen serves the same data directory again, after Close.
func (ah *accessHub) reopen(t *testing.T, opts testOptions) *accessHub {
	t.Helper()
	opts.DataDir = ah.opts.DataDir
	held := heldHook(&opts)
	return &accessHub{testHub: startHub(t, opts), gwToken: ah.gwToken, gwKey: ah.gwKey, tokens: ah.tokens, held: held}
}

// member adds a user with a role and enrolls a device, returning its token.
func (th *testHub) member(t *testing.T, user string, role hubapi.Role) string {
	t.Helper()
	if _, err := th.admin.AddUser(t.Context(), user, role); err != nil {
		t.Fatalf("AddUser %s: %v", user, err)
	}
	created, err := th.admin.CreateInvite(t.Context(), hub.InviteOptions{User: user})
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := hubapi.ParseInvite(created.Invite)
	return th.enroll(t, inv.Secret, "laptop").Token
}

func (ah *accessHub) register(t *testing.T, token string, targets []hubapi.Target) {
	t.Helper()
	reg := hubapi.RegisterTargets{PublicKey: ah.gwKey, Endpoint: "gw.example:51821", Network: "100.101.0.0/24", Targets: targets}
	if err := ah.client.do(t.Context(), http.MethodPut, hubapi.PathGatewayTargets, token, reg, nil); err != nil {
		t.Fatalf("registering targets: %v", err)
	}
}

func (ah *accessHub) request(t *testing.T, user string, req hubapi.AccessRequest) (hubapi.Request, error) {
	t.Helper()
	if req.PublicKey == "" {
		req.PublicKey = newPublicKey(t)
	}
	if req.Reason == "" {
		req.Reason = "debugging issue 42"
	}
	var r hubapi.Request
	err := ah.client.do(t.Context(), http.MethodPost, hubapi.PathRequests, ah.tokens[user], req, &r)
	return r, err
}

// mustRequest asks for target for d as user and fails the test on error.
func (ah *accessHub) mustRequest(t *testing.T, user, target string, d time.Duration) hubapi.Request {
	t.Helper()
	r, err := ah.request(t, user, hubapi.AccessRequest{Target: target, For: d})
	if err != nil {
		t.Fatalf("%s requests %s: %v", user, target, err)
	}
	return r
}

func (ah *accessHub) decide(t *testing.T, user, path string, body any) (hubapi.Request, error) {
	t.Helper()
	var r hubapi.Request
	err := ah.client.do(t.Context(), http.MethodPost, path, ah.tokens[user], body, &r)
	return r, err
}

func (ah *accessHub) approve(t *testing.T, user, id string, d time.Duration) (hubapi.Request, error) {
	t.Helper()
	return ah.decide(t, user, hubapi.PathApprove, hubapi.ApproveRequest{ID: id, For: d})
}

// granted requests target as alice and has bob approve it.
func (ah *accessHub) granted(t *testing.T, target string, d time.Duration) hubapi.Request {
	t.Helper()
	r := ah.mustRequest(t, "alice", target, d)
	r, err := ah.approve(t, "bob", r.ID, 0)
	if err != nil {
		t.Fatalf("bob approves %s: %v", r.ID, err)
	}
	return r
}

func (ah *accessHub) grant(t *testing.T, user, id string, wait bool) (hubapi.Grant, error) {
	t.Helper()
	var g hubapi.Grant
	q := url.Values{"id": {id}}
	if wait {
		q.Set("wait", "1")
	}
	err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathGrant+"?"+q.Encode(), ah.tokens[user], nil, &g)
	return g, err
}

func (ah *accessHub) list(t *testing.T, user, state string) []hubapi.Request {
	t.Helper()
	var rs []hubapi.Request
	if err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathRequests+"?state="+state, ah.tokens[user], nil, &rs); err != nil {
		t.Fatalf("%s lists %s: %v", user, state, err)
	}
	return rs
}

func (ah *accessHub) gatewayGrants(t *testing.T, since uint64) (hubapi.GatewayGrants, error) {
	var gg hubapi.GatewayGrants
	err := ah.client.do(t.Context(), http.MethodGet, fmt.Sprintf("%s?since=%d", hubapi.PathGatewayGrants, since), ah.gwToken, nil, &gg)
	return gg, err
}

// pollGateway starts a gateway long-poll from the current version and
// returns its answer and when it came.
func (ah *accessHub) pollGateway(t *testing.T) <-chan gatewayAnswer {
	t.Helper()
	cur, err := ah.gatewayGrants(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	for len(ah.held) > 0 {
		<-ah.held
	}
	out := make(chan gatewayAnswer, 1)
	go func() {
		gg, err := ah.gatewayGrants(t, cur.Version)
		if err != nil {
			t.Errorf("gateway grants: %v", err)
		}
		out <- gatewayAnswer{gg, time.Now()}
	}()
	for {
		select {
		case key := <-ah.held:
			if strings.HasPrefix(key, "gateway ") {
				return out // it waits: whatever changes now wakes it
			}
		case a := <-out:
			t.Fatalf("the gateway's long-poll answered at once: %+v", a.GatewayGrants)
		case <-time.After(testutil.Timeout()):
			t.Fatal("the gateway's long-poll never waited at the hub")
		}
	}
}

type gatewayAnswer struct {
	hubapi.GatewayGrants
	at time.Time
}

func receiveGrants(t *testing.T, c <-chan gatewayAnswer, within time.Duration) gatewayAnswer {
	t.Helper()
	return testutil.Receive(t, "the gateway's long-poll answer", c, testutil.Within(within))
}

func (ah *accessHub) auditRecords(t *testing.T) []hubapi.AuditRecord {
	t.Helper()
	recs, err := ah.admin.Audit(t.Context())
	if err != nil {
		t.Fatalf("exporting the audit log: %v", err)
	}
	if _, err := verifyWhole(recs); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	return recs
}

// actions lists the actions of the audit records of request id.
func actions(recs []hubapi.AuditRecord, id string) []string {
	var out []string
	for _, r := range recs {
		if r.RequestID == id {
			out = append(out, r.Action)
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if errCode(err) != code {
		t.Fatalf("got %v (code %q), want code %s", err, errCode(err), code)
	}
	var e *hub.Error
	if errors.As(err, &e) && e.Message == "" {
		t.Errorf("error %s has no message", code)
	}
}
