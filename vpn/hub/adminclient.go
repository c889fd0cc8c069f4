package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// ErrNoHub is returned by AdminClient when no hub serves the data directory.
var ErrNoHub = errors.New("no hub is running on this state directory")

// AdminClient administers a running hub through the admin socket in its
// data directory; it works on the hub's machine for whoever may open it.
type AdminClient struct {
	dataDir string
	client  *http.Client
}

// NewAdminClient returns a client for the hub serving dataDir.
func NewAdminClient(dataDir string) *AdminClient {
	socket := filepath.Join(dataDir, socketName)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}
	return &AdminClient{dataDir: dataDir, client: &http.Client{Transport: tr}}
}

// AddUser adds a user with a role.
func (c *AdminClient) AddUser(ctx context.Context, name string, role hubapi.Role) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodPost, adminUsers, addUserRequest{Name: name, Role: role}, &u)
}

// Users lists the users.
func (c *AdminClient) Users(ctx context.Context) ([]User, error) {
	var us []User
	return us, c.do(ctx, http.MethodGet, adminUsers, nil, &us)
}

// RemoveUser removes a user and revokes their devices.
func (c *AdminClient) RemoveUser(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, adminUsers+"/"+url.PathEscape(name), nil, nil)
}

// CreateInvite makes an invite for a user.
func (c *AdminClient) CreateInvite(ctx context.Context, opts InviteOptions) (CreatedInvite, error) {
	var inv CreatedInvite
	return inv, c.do(ctx, http.MethodPost, adminInvites, opts, &inv)
}

// Devices lists every device, revoked ones included.
func (c *AdminClient) Devices(ctx context.Context) ([]hubapi.Device, error) {
	var ds []hubapi.Device
	return ds, c.do(ctx, http.MethodGet, adminDevices, nil, &ds)
}

// Revoke revokes a device by id.
func (c *AdminClient) Revoke(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, adminRevoke, hubapi.RevokeRequest{ID: id}, nil)
}

// Audit exports every audit record, in order; StreamAudit holds one at a time.
func (c *AdminClient) Audit(ctx context.Context) ([]hubapi.AuditRecord, error) {
	recs := []hubapi.AuditRecord{}
	err := c.StreamAudit(ctx, AuditQuery{}, func(r hubapi.AuditRecord) error { recs = append(recs, r); return nil })
	return recs, err
}

// Checkpoint has the hub emit an audit checkpoint now and returns it.
func (c *AdminClient) Checkpoint(ctx context.Context) (hubapi.AuditAnchor, error) {
	var a hubapi.AuditAnchor
	return a, c.do(ctx, http.MethodPost, adminCheckpoint, nil, &a)
}

// Do sends in (JSON, when not nil) to path on the admin socket and reads
// the answer into out (when not nil); a hubapi.Error answer is an *Error.
// Extensions' admin clients call their routes with it.
func (c *AdminClient) Do(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, in, out)
}

func (c *AdminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://hub"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w (%s); start it with devenv hub serve --state-dir %s", ErrNoHub, c.dataDir, c.dataDir)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the hub's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return errorFromBody(resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("reading the hub's answer: %w", err)
	}
	return nil
}
