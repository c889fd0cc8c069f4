package hub

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

var deviceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Enroll redeems an invite for a device: in one transaction it checks the
// invite, counts its use, leases the lowest free address and registers the
// device with a fresh token, so a crash leaves all of it or none.
//
// A retry is answered with the same device: when the invite, the name and
// the public key are those of a device that enrolled with that invite and
// has not used its token yet, the first answer was lost (a dropped
// connection, a hub killed after its commit), and the device gets a fresh
// token in place of the one that never reached it. Reissuing rather than
// storing the first token keeps only hashes in the store, and is safe:
// nobody holds the old token (the device never used it), and the asker
// proves the invite's secret as at first. Once the device has used its
// token (its first netmap poll, which every client makes on joining), the
// invite is spent for good: a retry answers invite_used, as does any other
// key.
func (h *Hub) Enroll(req hubapi.EnrollRequest) (hubapi.EnrollResponse, error) {
	if !deviceNameRE.MatchString(req.Name) {
		return hubapi.EnrollResponse{}, ErrBadRequest.With("device name %q: use letters, digits, '.', '_' and '-', up to 63, starting with a letter or digit", req.Name)
	}
	if err := h.checkDeviceKey(req.PublicKey); err != nil {
		return hubapi.EnrollResponse{}, err
	}
	token := secret(32)
	var d deviceRecord
	var retried bool
	err := h.mutate(func(tx *bolt.Tx, pc *peerChanges) error {
		now := h.clock.Now()
		var err error
		if d, retried, err = reissue(tx, req, token, now); err != nil || retried {
			return err
		}
		inv, err := redeemInvite(tx, req.Secret, now)
		if err != nil {
			return err
		}
		if d, err = h.addDevice(tx, inv, req, token); err != nil {
			return err
		}
		pc.set = append(pc.set, d)
		return AppendAudit(tx, deviceAudit(d.User, "device_enroll", d, "invite", inv.ID))
	})
	if err != nil {
		return hubapi.EnrollResponse{}, err
	}
	if retried {
		h.log.Info("device enrollment retried; its token is reissued", "device", d.ID, "name", d.Name, "user", d.User, "address", d.Address)
	} else {
		h.metrics.enrollments.Add(1)
		h.log.Info("device enrolled", "device", d.ID, "name", d.Name, "user", d.User, "address", d.Address)
	}
	return hubapi.EnrollResponse{
		DeviceID: d.ID, Token: token, Address: d.api().Address,
		Network: h.opts.Network.String(), User: d.User, Hub: h.hubPeer,
	}, nil
}

// reissue answers a retried enrollment (see Enroll) with its device and a
// fresh token; ok is false when req is not one.
func reissue(tx *bolt.Tx, req hubapi.EnrollRequest, token string, now time.Time) (deviceRecord, bool, error) {
	id := tx.Bucket(bucketKeys).Get([]byte(req.PublicKey))
	if id == nil {
		return deviceRecord{}, false, nil
	}
	d, ok, err := getDevice(tx, string(id))
	if err != nil || !ok || d.Revoked || d.TokenSeen || d.Invite == "" || d.Name != req.Name {
		return deviceRecord{}, false, err
	}
	inv, err := findInvite(tx, req.Secret)
	if err != nil || inv.ID != d.Invite || now.After(inv.Expires) {
		return deviceRecord{}, false, nil
	}
	tokens := tx.Bucket(bucketTokens)
	if err := tokens.Delete([]byte(d.TokenHash)); err != nil {
		return d, false, err
	}
	d.TokenHash = hex.EncodeToString(hashSecret(token))
	if err := tokens.Put([]byte(d.TokenHash), []byte(d.ID)); err != nil {
		return d, false, err
	}
	return d, true, putJSON(tx.Bucket(bucketDevices), d.ID, d)
}

// findInvite finds the invite of a secret ("ID.RANDOM").
func findInvite(tx *bolt.Tx, secret string) (inviteRecord, error) {
	var inv inviteRecord
	id, _, ok := strings.Cut(secret, ".")
	if !ok {
		return inv, ErrInviteUnknown
	}
	found, err := getJSON(tx.Bucket(bucketInvites), id, &inv)
	if err != nil {
		return inv, err
	}
	if !found || subtle.ConstantTimeCompare(hashSecret(secret), inv.SecretHash) != 1 {
		return inv, ErrInviteUnknown
	}
	return inv, nil
}

// redeemInvite checks an invite secret and counts one use.
func redeemInvite(tx *bolt.Tx, secret string, now time.Time) (inviteRecord, error) {
	inv, err := findInvite(tx, secret)
	if err != nil {
		return inv, err
	}
	if now.After(inv.Expires) {
		return inv, ErrInviteExpired.With("the invite expired at %s; ask an admin for a new one (devenv hub invite create)", inv.Expires.UTC().Format(time.RFC3339))
	}
	if inv.Used >= inv.Uses {
		return inv, ErrInviteUsed
	}
	if tx.Bucket(bucketUsers).Get([]byte(inv.User)) == nil {
		return inv, ErrInviteUnknown
	}
	inv.Used++
	return inv, putJSON(tx.Bucket(bucketInvites), inv.ID, inv)
}

// addDevice registers a live device for the invite's user inside tx.
func (h *Hub) addDevice(tx *bolt.Tx, inv inviteRecord, req hubapi.EnrollRequest, token string) (deviceRecord, error) {
	user := inv.User
	u, ok, err := getUser(tx, user)
	if err != nil {
		return deviceRecord{}, err
	} else if !ok {
		return deviceRecord{}, ErrInviteUnknown
	}
	names, keys := tx.Bucket(bucketNames), tx.Bucket(bucketKeys)
	if names.Get(nameKey(user, req.Name)) != nil {
		return deviceRecord{}, ErrNameTaken.With("%s already has a device named %q; pick another name, or leave the network on that device first", user, req.Name)
	}
	if keys.Get([]byte(req.PublicKey)) != nil {
		return deviceRecord{}, ErrKeyTaken
	}
	id := newID()
	addr, err := allocate(tx, h.opts.Network, id)
	if err != nil {
		return deviceRecord{}, err
	}
	d := deviceRecord{
		ID: id, Name: req.Name, User: user, PublicKey: req.PublicKey, Address: addr.String(),
		Created: h.clock.Now().UTC(), TokenHash: hex.EncodeToString(hashSecret(token)),
		UserID: u.ID, Invite: inv.ID,
	}
	if err := names.Put(nameKey(user, req.Name), []byte(id)); err != nil {
		return d, err
	}
	if err := keys.Put([]byte(req.PublicKey), []byte(id)); err != nil {
		return d, err
	}
	if err := tx.Bucket(bucketTokens).Put([]byte(d.TokenHash), []byte(id)); err != nil {
		return d, err
	}
	return d, putJSON(tx.Bucket(bucketDevices), id, d)
}

// deviceByToken finds the device a token belongs to, revoked or not.
func deviceByToken(tx *bolt.Tx, token string) (deviceRecord, error) {
	if token == "" {
		return deviceRecord{}, ErrUnauthorized
	}
	id := tx.Bucket(bucketTokens).Get([]byte(hex.EncodeToString(hashSecret(token))))
	if id == nil {
		return deviceRecord{}, ErrUnauthorized
	}
	d, ok, err := getDevice(tx, string(id))
	if err == nil && !ok {
		err = ErrUnauthorized
	}
	return d, err
}

// Leave removes the token's device and frees its address. Leaving a
// revoked device is done already.
func (h *Hub) Leave(token string) error {
	return h.mutate(func(tx *bolt.Tx, pc *peerChanges) error {
		d, err := deviceByToken(tx, token)
		if err != nil || d.Revoked {
			return err
		}
		if err := releaseDevice(tx, d); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Delete([]byte(d.TokenHash)); err != nil {
			return err
		}
		pc.remove = append(pc.remove, d.PublicKey)
		h.log.Info("device left", "device", d.ID, "name", d.Name, "user", d.User)
		return chainAfter(tx.Bucket(bucketDevices).Delete([]byte(d.ID)), tx, deviceAudit(d.User, "device_leave", d))
	})
}

// Revoke cuts a device off: its peer is removed from the hub's device at
// once, its address is freed, its token only tells it that it was revoked,
// and every request and grant it asked for ends. Revoking a revoked device
// is done already.
func (h *Hub) Revoke(id string) error {
	return h.mutateTrust(func(tx *bolt.Tx, pc *peerChanges, te *trustEnds) error {
		d, ok, err := getDevice(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return ErrDeviceUnknown.With("no device %q; list them with devenv hub device list", id)
		}
		return h.revokeLocked(tx, pc, te, d)
	})
}

func (h *Hub) revokeLocked(tx *bolt.Tx, pc *peerChanges, te *trustEnds, d deviceRecord) error {
	if d.Revoked {
		return nil
	}
	why := fmt.Sprintf("device %s (%s) of %s revoked", d.Name, d.ID, d.User)
	if err := h.endTrustLocked(tx, te, TrustEnd{User: d.User, Device: d.ID, Why: why}); err != nil {
		return err
	}
	if err := releaseDevice(tx, d); err != nil {
		return err
	}
	d.Revoked = true
	pc.remove = append(pc.remove, d.PublicKey)
	h.log.Info("device revoked", "device", d.ID, "name", d.Name, "user", d.User)
	return chainAfter(putJSON(tx.Bucket(bucketDevices), d.ID, d), tx, deviceAudit(ActorHub, "device_revoke", d, "via", viaAdminSocket))
}

// checkDeviceKey refuses what cannot be a device's own key: not a key, the
// all-zero key, or the hub's own.
func (h *Hub) checkDeviceKey(publicKey string) error {
	k, err := wgtypes.ParseKey(publicKey)
	switch {
	case err != nil:
		return ErrBadRequest.With("public key: not a base64 WireGuard key")
	case k == wgtypes.Key{}:
		return ErrBadRequest.With("public key: the all-zero key is no device's key; make a key pair on the device")
	case k == h.wgKey.PublicKey():
		return ErrKeyTaken.With("public key: that is the hub's own key; make a key pair on the device")
	}
	return nil
}

// Rotate replaces the public key of the token's device; its address stays.
func (h *Hub) Rotate(token, publicKey string) error {
	if err := h.checkDeviceKey(publicKey); err != nil {
		return err
	}
	return h.mutate(func(tx *bolt.Tx, pc *peerChanges) error {
		d, err := deviceByToken(tx, token)
		if err != nil {
			return err
		}
		if d.Revoked {
			return ErrRevoked
		}
		d.TokenSeen = true
		if d.PublicKey == publicKey {
			return putJSON(tx.Bucket(bucketDevices), d.ID, d)
		}
		keys := tx.Bucket(bucketKeys)
		if keys.Get([]byte(publicKey)) != nil {
			return ErrKeyTaken
		}
		if err := keys.Delete([]byte(d.PublicKey)); err != nil {
			return err
		}
		pc.remove = append(pc.remove, d.PublicKey)
		old := d.PublicKey
		d.PublicKey = publicKey
		pc.set = append(pc.set, d)
		if err := keys.Put([]byte(publicKey), []byte(d.ID)); err != nil {
			return err
		}
		return chainAfter(putJSON(tx.Bucket(bucketDevices), d.ID, d), tx, deviceAudit(d.User, "device_rotate", d, "old_public_key", old))
	})
}

// Devices lists every device the hub knows, revoked ones included.
func (h *Hub) Devices() ([]hubapi.Device, error) {
	var out []hubapi.Device
	err := h.db.View(func(tx *bolt.Tx) error {
		all, err := allDevices(tx)
		for _, d := range all {
			out = append(out, d.api())
		}
		return err
	})
	return out, err
}

// tokenDelivered records that the token's device has used its token, so
// its enrollment's answer reached it and can no longer be reissued (see
// Enroll). It writes once per device; an unknown token is left to the
// caller's own lookup to refuse.
func (h *Hub) tokenDelivered(token string) error {
	var d deviceRecord
	err := h.db.View(func(tx *bolt.Tx) error {
		var err error
		d, err = deviceByToken(tx, token)
		return err
	})
	if err != nil || d.TokenSeen || d.Revoked {
		return nil
	}
	return h.db.Update(func(tx *bolt.Tx) error {
		cur, ok, err := getDevice(tx, d.ID)
		if err != nil || !ok || cur.TokenHash != d.TokenHash || cur.TokenSeen {
			return err
		}
		cur.TokenSeen = true
		return putJSON(tx.Bucket(bucketDevices), cur.ID, cur)
	})
}
