package accesshub

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

func TestAuditAPI(t *testing.T) {
	ah := startAccessHub(t, testOptions{})
	ah.granted(t, "prod-db", time.Hour)
	mid := time.Now().UTC()
	b := ah.granted(t, "db-ro", time.Hour)
	get := func(user string, q url.Values) ([]hubapi.AuditRecord, error) {
		var recs []hubapi.AuditRecord
		err := ah.client.do(t.Context(), http.MethodGet, hubapi.PathAudit+"?"+q.Encode(), ah.tokens[user], nil, &recs)
		return recs, err
	}
	if _, err := get("alice", nil); errCode(err) != "forbidden" {
		t.Errorf("a developer reads the audit trail: %v", err)
	}
	all, err := get("bob", nil)
	if err != nil || hubapi.VerifyAudit(all) != nil || all[0].Seq != 1 || all[0].Action != "user_add" {
		t.Fatalf("bob reads the audit trail: %d records, %v", len(all), err)
	}
	byTarget, err := get("dave", url.Values{"target": {"db-ro"}})
	if err != nil || len(byTarget) != 3 || byTarget[0].RequestID != b.ID {
		t.Errorf("records of db-ro: %+v, %v", byTarget, err)
	}
	since, err := get("carol", url.Values{"since": {mid.Format(time.RFC3339Nano)}})
	// alice's refused read is the fourth.
	if err != nil || len(since) != 4 || since[0].RequestID != b.ID || since[3].Verdict != "refused" || hubapi.VerifyAudit(since) != nil {
		t.Errorf("records since the middle: %+v, %v", since, err)
	}
	if _, err := get("bob", url.Values{"since": {"yesterday"}}); errCode(err) != "bad_request" {
		t.Errorf("a bad since: %v", err)
	}
}
