package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// The admin socket is DataDir/admin.sock, mode 0600 in a 0700 directory:
// whoever can open it administers the hub. It speaks HTTP/1.1 with JSON
// bodies; failures are hubapi.Error bodies, as on the HTTPS API.
//
//	GET    /v1/users               -> []User
//	POST   /v1/users               {"name","role"} -> User
//	DELETE /v1/users/{name}        -> 204 (revokes the user's devices, drops their invites)
//	POST   /v1/invites             InviteOptions {"user","ttl" (ns),"uses"} -> CreatedInvite
//	GET    /v1/devices             -> []hubapi.Device (revoked ones included)
//	POST   /v1/devices/revoke      hubapi.RevokeRequest -> 204
//	GET    /v1/audit               ?from=&to=&since=&until= -> JSON lines: hubapi.AuditRecord…, then {"end":true} or {"error":…} (audit_stream.go)
//	POST   /v1/audit/checkpoint    -> hubapi.AuditAnchor (logged and sent to the webhook)
//	GET    /metrics                -> Prometheus text
//	GET    /v1/backup              -> a consistent copy of the store (backup.go)
//	GET    /v1/info                -> Info: URL, fingerprint, WireGuard key and endpoint (info.go)
//
// Extensions add theirs (Extension.AdminRoutes): production access lists
// gateways, grants and the audit quarantine here.
const (
	adminUsers   = "/v1/users"
	adminInvites = "/v1/invites"
	adminDevices = "/v1/devices"
	adminRevoke  = "/v1/devices/revoke"
	adminAudit   = "/v1/audit"

	adminCheckpoint = "/v1/audit/checkpoint"
)

// addUserRequest is the body of POST /v1/users.
type addUserRequest struct {
	Name string      `json:"name"`
	Role hubapi.Role `json:"role"`
}

// listenAdmin binds the admin socket. The caller holds the store's lock,
// so a socket file left there is from a hub that died.
func listenAdmin(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("removing the stale admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on the admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("restricting the admin socket: %w", err)
	}
	return ln, nil
}

func (h *Hub) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+adminUsers, h.handle(h.adminListUsers))
	mux.Handle("POST "+adminUsers, h.handle(h.adminAddUser))
	mux.Handle("DELETE "+adminUsers+"/{name}", h.handle(h.adminRemoveUser))
	mux.Handle("POST "+adminInvites, h.handle(h.adminCreateInvite))
	mux.Handle("GET "+adminDevices, h.handle(h.serveDevices))
	mux.Handle("POST "+adminRevoke, h.handle(h.serveRevoke))
	mux.Handle("GET "+adminAudit, h.handle(h.adminExportAudit))
	mux.Handle("POST "+adminCheckpoint, h.handle(h.adminCheckpoint))
	mux.HandleFunc("GET "+hubapi.PathMetrics, h.serveMetrics)
	mux.Handle("GET "+adminBackup, h.handle(h.adminBackup))
	mux.Handle("GET "+adminInfo, h.handle(h.adminInfo))
	for _, e := range h.opts.Extensions {
		e.AdminRoutes(mux)
	}
	mux.Handle("/", h.handle(notFound))
	return mux
}

func (h *Hub) adminListUsers(w http.ResponseWriter, _ *http.Request) error {
	users, err := h.Users()
	if err != nil {
		return err
	}
	if users == nil {
		users = []User{}
	}
	writeJSON(w, http.StatusOK, users)
	return nil
}

func (h *Hub) adminAddUser(w http.ResponseWriter, r *http.Request) error {
	var req addUserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := h.AddUser(req.Name, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (h *Hub) adminRemoveUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.RemoveUser(r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Hub) adminCreateInvite(w http.ResponseWriter, r *http.Request) error {
	var req InviteOptions
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	inv, err := h.CreateInvite(req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}
