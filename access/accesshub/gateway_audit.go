package accesshub

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// maxGatewayRecords bounds one upload of gateway audit records.
const maxGatewayRecords = 10000

// gatewayActions are the actions a gateway records: a grant it armed and
// how it ended there, and what the grant's holder did. Everything else
// (request, approve, deny, emergency…) is the hub's own to record, so a
// gateway's token cannot add a decision to the trail.
var gatewayActions = map[string]bool{
	"grant": true, "expire": true, "revoke": true, "connect": true, "disconnect": true, "operation": true,
}

// AppendGatewayAudit takes the records a gateway uploads, each on its own
// merits, in one transaction: a record the hub can attribute to one of the
// gateway's targets and grants is chained with Actor "gateway:NAME" and
// the hub's receive time; any other is kept in the quarantine (or dropped,
// when that is full), so that one bad record never holds back the others.
// Seq, PrevHash and Hash are the hub's to set.
func (a *Access) AppendGatewayAudit(token string, recs []hubapi.AuditRecord) (hubapi.GatewayAuditResult, error) {
	var res hubapi.GatewayAuditResult
	if len(recs) > maxGatewayRecords {
		return res, hub.ErrBadRequest.With("%d audit records in one upload; send at most %d at a time", len(recs), maxGatewayRecords)
	}
	var name string
	err := a.db.Update(func(tx *bolt.Tx) error {
		res = hubapi.GatewayAuditResult{}
		gw, err := gatewayByToken(tx, token)
		if err != nil {
			return err
		}
		name = gw.Name
		now := a.clock.Now().UTC()
		var q *quarantineTx // opened at the first record it needs
		for i, r := range recs {
			r.Actor, r.ReceivedAt = gatewayActor(gw.Name), now
			reason, err := attributeGatewayRecord(tx, gw.Name, r)
			if err != nil {
				return err
			}
			if reason == "" {
				if err := hub.AppendAudit(tx, r); err != nil {
					return err
				}
				res.Chained++
				continue
			}
			if q == nil {
				if q, err = openQuarantine(tx); err != nil {
					return err
				}
			}
			kept, err := q.add(gw.Name, reason, r)
			if err != nil {
				return err
			}
			rej := hubapi.RecordRejected{Index: i, Reason: reason}
			if kept {
				res.Quarantined = append(res.Quarantined, rej)
			} else {
				res.Dropped = append(res.Dropped, rej)
			}
		}
		return nil
	})
	if err != nil {
		return hubapi.GatewayAuditResult{}, err
	}
	a.reportRejected(name, recs, res)
	return res, nil
}

// reportRejected logs what an upload did not chain: the quarantine is
// for an operator to look at, not to find by chance.
func (a *Access) reportRejected(gateway string, recs []hubapi.AuditRecord, res hubapi.GatewayAuditResult) {
	if n := len(res.Quarantined); n > 0 {
		first := res.Quarantined[0]
		a.log.Warn("gateway audit records quarantined: the hub cannot attribute them; list them with devenv hub audit quarantine",
			"gateway", gateway, "records", n, "first_action", recs[first.Index].Action, "first_reason", first.Reason)
	}
	if n := len(res.Dropped); n > 0 {
		a.quarantineDropped.Add(uint64(n))
		a.log.Error("gateway audit records dropped: the quarantine is full; list it with devenv hub audit quarantine",
			"gateway", gateway, "records", n, "limit", maxQuarantine, "first_reason", res.Dropped[0].Reason)
	}
}

// attributeGatewayRecord says why a record cannot be one of the gateway's
// ("" when it can): its action must be one a gateway records, its target
// one the gateway registered, and its request (which only a refused
// connection may lack) one granted on that target through that gateway.
// The error is the store's.
func attributeGatewayRecord(tx *bolt.Tx, gateway string, r hubapi.AuditRecord) (string, error) {
	if !gatewayActions[r.Action] {
		return fmt.Sprintf("action %q is not one a gateway records", r.Action), nil
	}
	t, ok, err := getTarget(tx, r.Target)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return fmt.Sprintf("target %q is not registered", r.Target), nil
	case t.Gateway != gateway:
		return fmt.Sprintf("target %q is not one of gateway %s's", r.Target, gateway), nil
	}
	if r.RequestID == "" {
		if r.Action == "connect" && r.Verdict == "refused" {
			return "", nil
		}
		return fmt.Sprintf("a %s record names no request", r.Action), nil
	}
	var req requestRecord
	if ok, err := hub.GetJSON(tx.Bucket(bucketRequests), r.RequestID, &req); err != nil {
		return "", err
	} else if !ok {
		return fmt.Sprintf("the hub knows no request %q", r.RequestID), nil
	}
	switch {
	case req.Gateway != gateway || req.Target != r.Target:
		return fmt.Sprintf("request %s is not for target %s of gateway %s", r.RequestID, r.Target, gateway), nil
	case req.NotAfter.IsZero():
		return fmt.Sprintf("request %s was never granted", r.RequestID), nil
	}
	return "", nil
}
