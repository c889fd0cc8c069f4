package vpn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// pendingFile holds the key of an enrollment whose answer never arrived.
// The hub gives the device back to a retry with the same invite, name and
// key, so a join whose answer was lost (a dropped connection, a hub killed
// mid-answer) is finished by running the same join again, instead of
// leaving a device on the hub that no client holds.
const pendingFile = "enroll.pending"

// enrollRetries are the waits between in-process attempts of an
// enrollment that got no answer.
var enrollRetries = []time.Duration{time.Second, 2 * time.Second}

// pendingEnrollment is pendingFile's content: the invite is kept only as
// a hash of its secret, enough to tell the same invite again.
type pendingEnrollment struct {
	HubURL string `json:"hub_url"`
	Invite string `json:"invite_sha256"`
	Name   string `json:"name"`
	Key    string `json:"private_key"`
}

func inviteHash(inv hubapi.Invite) string {
	h := sha256.Sum256([]byte(inv.Secret))
	return hex.EncodeToString(h[:])
}

// enrollmentKey is the key of a pending enrollment of this invite and name,
// or a new one, written down before it is sent.
func enrollmentKey(dir string, inv hubapi.Invite, name string) (Key, error) {
	if b, err := os.ReadFile(filepath.Join(dir, pendingFile)); err == nil {
		var p pendingEnrollment
		if json.Unmarshal(b, &p) == nil && p.HubURL == inv.HubURL && p.Invite == inviteHash(inv) && p.Name == name {
			if k, err := wgtypes.ParseKey(p.Key); err == nil {
				return k, nil
			}
		}
	}
	key, err := newKey()
	if err != nil {
		return Key{}, err
	}
	b, err := json.Marshal(pendingEnrollment{HubURL: inv.HubURL, Invite: inviteHash(inv), Name: name, Key: key.String()})
	if err != nil {
		return Key{}, err
	}
	return key, writeSecret(dir, pendingFile, append(b, '\n'))
}

// dropPending forgets a pending enrollment: it succeeded or was refused.
// A refused join leaves no directory behind either (Remove keeps one that
// holds anything else). A file left behind is harmless: it only ever
// matches the same invite.
func dropPending(dir string) {
	_ = os.Remove(filepath.Join(dir, pendingFile))
}

func dropRefused(dir string) {
	dropPending(dir)
	_ = os.Remove(dir)
}

// enroll sends the enrollment, again with the same key while the hub
// gives no answer, a few times.
func enroll(ctx context.Context, c *hubclient.Client, req hubapi.EnrollRequest) (hubapi.EnrollResponse, error) {
	resp, err := c.Enroll(ctx, req)
	for _, d := range enrollRetries {
		if !errors.Is(err, hubclient.ErrUnreachable) {
			break
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
		resp, err = c.Enroll(ctx, req)
	}
	return resp, err
}
