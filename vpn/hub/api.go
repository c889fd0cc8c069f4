package hub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// PathRotate replaces a device's public key; its address stays.
const PathRotate = hubapi.BasePath + "/rotate" // POST RotateRequest (device token) -> 204

// RotateRequest carries a device's new public key.
type RotateRequest struct {
	PublicKey string `json:"public_key"`
}

// PathHealth answers 200 to anyone: the hub serves. It is on the public
// API and beside /metrics.
const PathHealth = "/healthz"

// maxBody bounds request bodies; every request of the API is small.
const maxBody = 64 << 10

// apiHandler serves the HTTPS API of package hubapi.
func (h *Hub) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+hubapi.PathEnroll, h.handle(h.serveEnroll))
	mux.Handle("GET "+hubapi.PathNetMap, h.handle(h.serveNetMap))
	mux.Handle("POST "+hubapi.PathLeave, h.handle(h.serveLeave))
	mux.Handle("POST "+PathRotate, h.handle(h.serveRotate))
	mux.Handle("GET "+hubapi.PathDevices, h.handle(h.adminOnly(h.serveDevices)))
	mux.Handle("POST "+hubapi.PathRevoke, h.handle(h.adminOnly(h.serveRevoke)))
	mux.HandleFunc("GET "+PathHealth, serveHealth)
	for _, e := range h.opts.Extensions {
		e.APIRoutes(mux)
	}
	mux.Handle("/", h.handle(notFound))
	return h.counted(h.limitFailures(mux))
}

// metricsHandler serves /metrics and /healthz on Options.MetricsListen:
// the counters tell who is enrolled and how busy the hub is, which is no
// business of whoever reaches the public port.
func (h *Hub) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+hubapi.PathMetrics, h.serveMetrics)
	mux.HandleFunc("GET "+PathHealth, serveHealth)
	return mux
}

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// apiFunc is a handler whose error becomes a hubapi.Error answer.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Hub) handle(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		e := AsError(err)
		if e == ErrInternal && r.Context().Err() == nil {
			h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		h.noteFailure(r, e)
		setRetryAfter(w, err)
		writeJSON(w, e.Status, e.API())
	})
}

func notFound(http.ResponseWriter, *http.Request) error {
	return NewError(http.StatusNotFound, "not_found", "no such API path; upgrade devenv on this machine")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v); err != nil {
		return ErrBadRequest.With("reading the request: %v; upgrade devenv on this machine", err)
	}
	return nil
}

func bearer(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(tok)
}

func (h *Hub) serveEnroll(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.EnrollRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	resp, err := h.Enroll(req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (h *Hub) serveNetMap(w http.ResponseWriter, r *http.Request) error {
	var since uint64
	if s := r.URL.Query().Get("since"); s != "" {
		var err error
		if since, err = strconv.ParseUint(s, 10, 64); err != nil {
			return ErrBadRequest.With("since=%q: not a netmap version", s)
		}
	}
	nm, err := h.NetMap(r.Context(), bearer(r), since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nm)
	return nil
}

func (h *Hub) serveLeave(w http.ResponseWriter, r *http.Request) error {
	if err := h.Leave(bearer(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Hub) serveRotate(w http.ResponseWriter, r *http.Request) error {
	var req RotateRequest
	if err := h.DecodeFromDevice(w, r, &req); err != nil {
		return err
	}
	if err := h.chargeRotation(r); err != nil {
		return err
	}
	if err := h.Rotate(bearer(r), req.PublicKey); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminOnly lets through the devices of admin users.
func (h *Hub) adminOnly(f apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h.db.View(func(tx *bolt.Tx) error {
			c, err := CallerOf(tx, bearer(r))
			if err == nil && c.Role != hubapi.RoleAdmin {
				err = ErrForbidden
			}
			return err
		})
		if err != nil {
			return err
		}
		return f(w, r)
	}
}

func (h *Hub) serveDevices(w http.ResponseWriter, _ *http.Request) error {
	devs, err := h.Devices()
	if err != nil {
		return err
	}
	if devs == nil {
		devs = []hubapi.Device{}
	}
	writeJSON(w, http.StatusOK, devs)
	return nil
}

func (h *Hub) serveRevoke(w http.ResponseWriter, r *http.Request) error {
	var req hubapi.RevokeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := h.Revoke(req.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// counted counts requests by path and status code.
func (h *Hub) counted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		h.metrics.request(metricPath(r.URL.Path), fmt.Sprint(sw.status))
	})
}

// errorFromBody reads a hubapi.Error answer into an *Error.
func errorFromBody(status int, body []byte) error {
	var e hubapi.Error
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return fmt.Errorf("hub answered %d: %s", status, strings.TrimSpace(string(body)))
	}
	return &Error{Status: status, Code: e.Code, Message: e.Message}
}
