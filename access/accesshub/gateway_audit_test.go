package accesshub

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// uploadAudit posts records as a gateway and returns the hub's answer.
func (ah *accessHub) uploadAudit(t *testing.T, token string, recs []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error) {
	t.Helper()
	var res hubapi.GatewayAuditResult
	err := ah.client.do(t.Context(), http.MethodPost, hubapi.PathGatewayAudit, token, recs, &res)
	return res, err
}

func TestGatewayAuditIngest(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	r := ah.granted(t, "prod-db", time.Hour)
	at := time.Now().Add(-time.Second).UTC()
	recs := []hubapi.AuditRecord{
		{Time: at, Actor: "alice", Action: "connect", Target: "prod-db", RequestID: r.ID, Seq: 99, Hash: "forged",
			ReceivedAt: at.Add(-time.Hour)},
		{Time: at, Action: "operation", Target: "prod-db", RequestID: r.ID, Verdict: "refused",
			Detail: map[string]string{"method": "POST", "path": "/orders", "status": "403", "bytes": "57"}},
		{Action: "disconnect", Target: "prod-db", RequestID: r.ID},
	}
	before := time.Now()
	res, err := ah.uploadAudit(t, ah.gwToken, recs)
	if err != nil || res.Chained != 3 || len(res.Quarantined)+len(res.Dropped) != 0 {
		t.Fatalf("upload: %+v, %v", res, err)
	}
	all := ah.auditRecords(t)
	got := all[len(all)-3:]
	for i, rec := range got {
		if rec.Actor != "gateway:gw1" || rec.Action != recs[i].Action || rec.Seq != all[len(all)-4].Seq+uint64(i)+1 || rec.Time.IsZero() {
			t.Errorf("ingested record %d: %+v", i, rec)
		}
		if rec.ReceivedAt.Before(before) || rec.ReceivedAt.After(time.Now()) {
			t.Errorf("record %d: received_at %v is not the hub's receive time", i, rec.ReceivedAt)
		}
	}
	if !got[0].Time.Equal(at) || got[1].Detail["path"] != "/orders" || got[1].Verdict != "refused" {
		t.Errorf("the gateway's time and details were not kept: %+v", got[:2])
	}
	if _, err := ah.uploadAudit(t, ah.tokens["dave"], recs); errCode(err) != "unauthorized" {
		t.Errorf("a device token uploads gateway records: %v", err)
	}
	if n := len(ah.auditRecords(t)); n != len(all) {
		t.Errorf("a refused upload left records: %d, want %d", n, len(all))
	}
}

// A batch mixing records the hub can attribute with records it cannot (a
// request it does not know — as after a restore from backup —, another
// gateway's target or request, an action only the hub records, a request
// never granted) chains the good ones and quarantines the others, which
// the admin socket lists and the metrics count.
func TestGatewayAuditQuarantine(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	other, err := ah.admin.AddGateway(t.Context(), "gw2")
	if err != nil {
		t.Fatal(err)
	}
	ah.register(t, other.Token, []hubapi.Target{{Name: "cache", Protocol: hubapi.ProtocolRedis, MaxTTL: time.Hour}})
	r := ah.granted(t, "prod-db", time.Hour)
	pending := ah.mustRequest(t, "alice", "db-ro", time.Hour)
	backdated := time.Now().Add(-48 * time.Hour).UTC()
	recs := []hubapi.AuditRecord{
		{Action: "connect", Target: "prod-db", RequestID: "req-from-before-the-restore"},
		{Action: "operation", Target: "prod-db", RequestID: r.ID, Detail: map[string]string{"path": "/good-1"}},
		{Time: backdated, Action: "approve", Target: "prod-db", RequestID: r.ID},
		{Action: "operation", Target: "cache", RequestID: r.ID},
		{Action: "operation", Target: "nowhere"},
		{Action: "connect", Target: "db-ro", RequestID: pending.ID},
		{Action: "connect", Target: "prod-db", Verdict: "refused", Detail: map[string]string{"reason": "no grant"}},
		{Action: "operation", Target: "prod-db", RequestID: r.ID, Detail: map[string]string{"path": "/good-2"}},
		{Target: "prod-db", RequestID: r.ID},
	}
	res, err := ah.uploadAudit(t, ah.gwToken, recs)
	if err != nil {
		t.Fatalf("the hub refused a batch holding good records: %v", err)
	}
	var quarantined []int
	for _, q := range res.Quarantined {
		quarantined = append(quarantined, q.Index)
	}
	if diff := cmp.Diff([]int{0, 2, 3, 4, 5, 8}, quarantined); diff != "" || res.Chained != 3 || len(res.Dropped) != 0 {
		t.Errorf("answer %+v: quarantined (-want +got):\n%s", res, diff)
	}
	all := ah.auditRecords(t)
	if !hasDetail(all, "path", "/good-1") || !hasDetail(all, "path", "/good-2") {
		t.Error("the good records of the batch are not in the chain")
	}
	for _, rec := range all {
		if rec.Action == "approve" && rec.Actor == "gateway:gw1" {
			t.Errorf("the gateway's approve record was chained: %+v", rec)
		}
	}
	q, err := ah.admin.Quarantine(t.Context())
	if err != nil || len(q) != 6 {
		t.Fatalf("quarantine: %d records, %v", len(q), err)
	}
	if q[0].Gateway != "gw1" || q[0].Record.RequestID != "req-from-before-the-restore" || !strings.Contains(q[0].Reason, "knows no request") ||
		q[0].Record.ReceivedAt.IsZero() || q[1].Record.Action != "approve" || !q[1].Record.Time.Equal(backdated) {
		t.Errorf("quarantined records: %+v", q[:2])
	}
	var m bytes.Buffer
	if err := ah.access.WriteMetrics(&m); err != nil || !strings.Contains(m.String(), "devenv_hub_audit_quarantined 6\n") {
		t.Errorf("metrics (%v):\n%s", err, m.String())
	}
}

// A full quarantine drops further unattributable records, says so, and
// still chains the good ones.
func TestGatewayAuditQuarantineFull(t *testing.T) {
	defer func(n int) { maxQuarantine = n }(maxQuarantine)
	maxQuarantine = 2
	ah := startAccessHub(t, testOptions{})
	r := ah.granted(t, "prod-db", time.Hour)
	bad := hubapi.AuditRecord{Action: "operation", Target: "prod-db", RequestID: "unknown"}
	good := hubapi.AuditRecord{Action: "operation", Target: "prod-db", RequestID: r.ID}
	res, err := ah.uploadAudit(t, ah.gwToken, []hubapi.AuditRecord{bad, bad, bad, good})
	if err != nil || res.Chained != 1 || len(res.Quarantined) != 2 || len(res.Dropped) != 1 || res.Dropped[0].Index != 2 {
		t.Fatalf("upload into a quarantine of 2: %+v, %v", res, err)
	}
	var m bytes.Buffer
	if err := ah.access.WriteMetrics(&m); err != nil || !strings.Contains(m.String(), "devenv_hub_audit_quarantine_dropped_total 1\n") {
		t.Errorf("metrics (%v):\n%s", err, m.String())
	}
}

func hasDetail(recs []hubapi.AuditRecord, k, v string) bool {
	for _, r := range recs {
		if r.Detail[k] == v {
			return true
		}
	}
	return false
}
