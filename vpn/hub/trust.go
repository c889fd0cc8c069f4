package hub

import (
	bolt "go.etcd.io/bbolt"
)

// Trust ends everywhere at once. Revoking a device and removing a user
// happen in one transaction with what the extensions end because of it
// (production access ends the device's or user's requests and grants),
// so no grant outlives the trust it was given on.

// mutateTrust runs fn in one transaction that may change both the LAN's
// peers and the extensions' state, and applies both after the commit.
func (h *Hub) mutateTrust(fn func(tx *bolt.Tx, pc *peerChanges, te *trustEnds) error) error {
	var te trustEnds
	err := h.mutate(func(tx *bolt.Tx, pc *peerChanges) error {
		te = trustEnds{}
		return fn(tx, pc, &te)
	})
	if err != nil {
		return err
	}
	for _, after := range te.after {
		after()
	}
	return nil
}
