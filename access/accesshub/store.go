package accesshub

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Production access keeps its records in the hub's store, beside the
// LAN's, one transaction per operation together with its audit record:
//
//	gateways    name -> gatewayRecord
//	gwtokens    hex SHA-256 of a gateway token -> gateway name
//	targets     name -> hubapi.Target
//	requests    id -> requestRecord (every request stays, whatever its state)
//	reqkeys     public key -> request id (a key serves one request, ever)
//	grantleases gateway name "\x00" address bytes -> request id (active grants)
//	auditquarantine  sequence -> QuarantinedRecord (made on first use)
//	meta        access -> uint64 (access version: requests, grants, gateways)
//
// The names are those of the stores written when the hub ran access
// itself: an existing hub.db opens with its access data.
var (
	bucketGateways    = []byte("gateways")
	bucketGWTokens    = []byte("gwtokens")
	bucketTargets     = []byte("targets")
	bucketRequests    = []byte("requests")
	bucketReqKeys     = []byte("reqkeys")
	bucketGrantLeases = []byte("grantleases")

	keyAccessVersion = []byte("access")
)

func init() {
	hub.RegisterBuckets(
		hub.Bucket{Name: bucketGateways, Record: func() any { return new(gatewayRecord) }},
		hub.Bucket{Name: bucketGWTokens, Names: bucketGateways},
		hub.Bucket{Name: bucketTargets, Record: func() any { return new(hubapi.Target) }},
		hub.Bucket{Name: bucketRequests, Record: func() any { return new(requestRecord) }},
		hub.Bucket{Name: bucketReqKeys, Names: bucketRequests},
		hub.Bucket{Name: bucketGrantLeases, Names: bucketRequests},
	)
}

// accessVersion is the access version committed in tx.
func accessVersion(tx *bolt.Tx) uint64 {
	raw := hub.MetaBucket(tx).Get(keyAccessVersion)
	if len(raw) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

// bumpAccessVersion advances the access version in tx and returns it.
func bumpAccessVersion(tx *bolt.Tx) (uint64, error) {
	v := accessVersion(tx) + 1
	return v, hub.MetaBucket(tx).Put(keyAccessVersion, binary.BigEndian.AppendUint64(nil, v))
}
