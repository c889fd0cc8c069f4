package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// -o names the result's format and says which it accepts; it is no longer
// checked against --progress.
func TestOutputFlagValues(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: nginx:1\n")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"vpn status -o table is no usage error", []string{"vpn", "--state-dir", t.TempDir(), "status", "-o", "table"}, ExitError, "vpn join"},
		{"vpn status says what it takes", []string{"vpn", "status", "-o", "yaml"}, ExitUsage, `--output "yaml": use table or json`},
		{"config says what it takes", []string{"config", "-o", "table"}, ExitUsage, `--output "table": use yaml or json`},
		{"access request says what it takes", []string{"access", "request", "api", "-o", "table"}, ExitUsage, `--output "table": use text or json`},
		{"down has no result", []string{"down", "-o", "yaml"}, ExitUsage, "down has no result to format"},
		{"up --attach wants text", []string{"up", "--attach", "-o", "json"}, ExitUsage, "devenv logs -f -o json"},
		{"logs --since", []string{"logs", "--since", "soon"}, ExitUsage, `--since "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, dir, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q should contain %q", code, tt.code, errOut, tt.want)
			}
		})
	}
}

func TestConfigJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "envs.yaml", "name: demo\nservices:\n  web:\n    image: ${IMG:-nginx}:1\n    ports: [\"8080:80\"]\n")
	out, errOut, code := runCLI(t, dir, "config", "-o", "json")
	var doc struct {
		Name     string `json:"name"`
		Services map[string]struct {
			Image string `json:"image"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("config -o json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if doc.Name != "demo" || doc.Services["web"].Image != "nginx:1" {
		t.Errorf("config -o json: %+v", doc)
	}
}

func TestLogsJSONLines(t *testing.T) {
	var b bytes.Buffer
	line := jsonLogLine(&b)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	line(env.LogEntry{Service: "web", Container: "demo-web", LogLine: engine.LogLine{Stream: "stdout", Text: "GET / 200", Time: at}})
	line(env.LogEntry{Service: "db", Container: "demo-db", LogLine: engine.LogLine{Stream: "stderr", Text: "ready", Time: at}})
	var got []logJSON
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var e logJSON
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, e)
	}
	want := []logJSON{{Service: "web", Container: "demo-web", Stream: "stdout", Time: at, Text: "GET / 200"},
		{Service: "db", Container: "demo-db", Stream: "stderr", Time: at, Text: "ready"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs -o json (-want +got):\n%s", diff)
	}
}

func TestPlanJSON(t *testing.T) {
	p := &env.Plan{Project: "demo", Networks: []env.NetworkStep{{Name: "demo_default"}}, CreateVolumes: []string{"demo_data"},
		Remove: []engine.Container{{Name: "demo-old", Service: "old"}},
		Steps: []env.Step{
			{Service: "api", Action: env.ActionCreate, Reason: "no container",
				Desired: env.DesiredService{Deps: map[string]config.Condition{"db": config.ServiceHealthy}}},
			{Service: "db", Action: env.ActionKeep, Reason: "running"},
		}}
	var b bytes.Buffer
	if err := writeJSON(&b, newPlanJSON(p)); err != nil {
		t.Fatal(err)
	}
	var got planJSON
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := planJSON{Project: "demo", Steps: []planStep{
		{Kind: "network", Name: "demo_default", Action: "keep"},
		{Kind: "volume", Name: "demo_data", Action: "create"},
		{Kind: "container", Name: "demo-old", Action: "remove", Reason: "orphan of service old"},
		{Kind: "service", Name: "api", Action: "create", Reason: "no container", After: map[string]string{"db": "healthy"}},
		{Kind: "service", Name: "db", Action: "keep", Reason: "running"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan as JSON (-want +got):\n%s", diff)
	}
}

func TestAccessDecisionsJSON(t *testing.T) {
	_, dir := newAccessHub(t)
	out, errs, code := runAccess(t, dir, "request", "api", "--for", "30m", "--reason", "bug 1234", "-o", "json")
	var r hubapi.Request
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.ID != "r1" || r.State != hubapi.StatePending ||
		r.Reason != "bug 1234" {
		t.Fatalf("request -o json: exit %d, %v\nstdout %s\nstderr %s", code, err, out, errs)
	}
	if !strings.Contains(errs, "request r1 for api: pending") {
		t.Errorf("request -o json: the status left stderr: %q", errs)
	}
	for verb, want := range map[string]string{"approve": hubapi.StateApproved, "deny": hubapi.StateDenied, "revoke": hubapi.StateRevoked} {
		args := []string{verb, "r1", "-o", "json"}
		if verb == "deny" {
			args = append(args, "--reason", "not now")
		}
		out, errs, code := runAccess(t, dir, args...)
		var r hubapi.Request
		if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.ID != "r1" || r.State != want {
			t.Errorf("%s -o json: exit %d, %v\nstdout %s\nstderr %s", verb, code, err, out, errs)
		}
	}
}

func TestInviteAndJoinJSON(t *testing.T) {
	data := t.TempDir()
	h := runTestHub(t, data)
	if _, err := h.AddUser("alice", hubapi.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, t.TempDir(), "hub", "--state-dir", data, "invite", "create", "--user", "alice", "-o", "json")
	var inv hub.CreatedInvite
	if err := json.Unmarshal([]byte(out), &inv); code != 0 || err != nil || inv.User != "alice" || inv.Uses != 1 ||
		inv.Expires.Before(time.Now()) {
		t.Fatalf("invite create -o json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if _, err := hubapi.ParseInvite(inv.Invite); err != nil {
		t.Errorf("invite create -o json: the invite %q does not parse: %v", inv.Invite, err)
	}

	th, _ := testHub(t)
	invite := th.Invite(t, "ann", hubapi.RoleDeveloper)
	state := t.TempDir()
	var stdout, stderr bytes.Buffer
	code = Run(t.Context(), []string{"vpn", "--state-dir", state, "join", "-", "--name", "laptop", "-o", "json"},
		strings.NewReader(invite), &stdout, &stderr)
	var j joinJSON
	if err := json.Unmarshal(stdout.Bytes(), &j); code != 0 || err != nil || j.Name != "laptop" || j.User != "ann" ||
		!strings.HasPrefix(j.Hub, "https://") || j.Address == "" || j.PublicKey == "" {
		t.Fatalf("vpn join -o json: exit %d, %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String(), "token") {
		t.Errorf("vpn join -o json printed the device's token: %s", stdout.String())
	}
}
