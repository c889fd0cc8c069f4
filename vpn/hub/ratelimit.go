package hub

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Nobody exhausts the hub from one device or one address. A device or a
// gateway holds at most Options.MaxLongPolls long-polls at once (each one
// is a connection and a waiter the hub keeps). An address that keeps
// failing to authenticate, or keeps rotating keys, is slowed to a trickle
// by a token bucket, and what it tried is logged at Warn with the address,
// in at most one line per address per minute, so the log cannot be flooded
// either. Refusals answer 429 Too Many Requests with a Retry-After.

// ErrTooManyRequests is the answer to a caller over one of these limits.
var ErrTooManyRequests = NewError(http.StatusTooManyRequests, "too_many_requests", "too many requests from this device or address; retry later")

// Defaults of the limits.
const (
	DefaultMaxLongPolls = 16 // per device or gateway: a netmap poll, a few grant waits
	maxSources          = 4096
	limitLogEvery       = time.Minute
	maxLimitLogLines    = 10 // per sweep; more addresses are summed up in one line
	pollRetryAfter      = 5 * time.Second
)

// A bucketSpec is a token bucket: burst events at once, then rate a second.
type bucketSpec struct {
	Rate  float64 // tokens per second; exported for go-cmp, which compares Options in tests
	Burst float64
}

var (
	// A device with a stale token retries with backoff; a scanner does not.
	defaultAuthFailures = bucketSpec{Rate: 1, Burst: 30}
	// A device rotates its key now and then, not in a loop: every rotation
	// changes a WireGuard peer and wakes every device's long-poll.
	defaultRotations = bucketSpec{Rate: 1.0 / 60, Burst: 5}
)

// throttled is an error answered with 429 and a Retry-After header.
type throttled struct {
	err   *Error
	after time.Duration
}

func (t *throttled) Error() string { return t.err.Error() }
func (t *throttled) Unwrap() error { return t.err }

func throttle(after time.Duration, format string, args ...any) error {
	return &throttled{err: ErrTooManyRequests.With(format, args...), after: after}
}

// setRetryAfter adds the Retry-After header when err is a throttle.
func setRetryAfter(w http.ResponseWriter, err error) {
	var t *throttled
	if errors.As(err, &t) {
		secs := max(1, int64(math.Ceil(t.after.Seconds())))
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}

// pollSlots counts the long-polls each device or gateway holds.
type pollSlots struct {
	mu   sync.Mutex
	held map[string]int // guarded by mu; by "device ID" or "gateway NAME"
}

// take holds one of max slots of key; release gives it back.
func (p *pollSlots) take(key string, max int) (release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held == nil {
		p.held = map[string]int{}
	}
	if p.held[key] >= max {
		return nil, false
	}
	p.held[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.held[key]--; p.held[key] <= 0 {
				delete(p.held, key)
			}
		})
	}, true
}

// holdPoll takes a long-poll slot of key or answers ErrTooManyRequests.
func (h *Hub) holdPoll(key string) (release func(), err error) {
	release, ok := h.polls.take(key, h.opts.MaxLongPolls)
	if !ok {
		return nil, throttle(pollRetryAfter, "%s already waits in %d long-polls, the most the hub keeps for one; "+
			"close the others (is devenv running twice?) and retry", key, h.opts.MaxLongPolls)
	}
	if h.opts.pollHeld != nil {
		h.opts.pollHeld(key)
	}
	return release, nil
}

// holdDevicePoll takes a long-poll slot of the token's device.
func (h *Hub) holdDevicePoll(token string) (release func(), err error) {
	var d deviceRecord
	if err := h.db.View(func(tx *bolt.Tx) error { d, err = deviceByToken(tx, token); return err }); err != nil {
		return nil, err
	}
	return h.holdPoll("device " + d.ID)
}

// sourceOf is the address a request came from as the limits count it: an
// IPv4 address, or an IPv6 /64 (one host's share), invalid on the admin
// socket. The hub serves TLS itself, so no forwarded header is trusted.
func sourceOf(r *http.Request) netip.Prefix {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	a := ap.Addr().Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// sourceLimiter keeps a token bucket per source, and what it refused or
// was told of since its last log line. It holds at most maxSources
// sources: full buckets go first, then the least recently used.
type sourceLimiter struct {
	what string // what is counted, for the log: "failed authentications"
	spec bucketSpec
	log  *slog.Logger
	// logEvents: every event is worth a line (a failure), not only a
	// refusal (a rotation is ordinary until there are too many).
	logEvents bool

	mu      sync.Mutex
	sources map[netip.Prefix]*source // guarded by mu
	dropped int                      // guarded by mu; events of evicted sources not yet logged
}

type source struct {
	tokens  float64
	at      time.Time // when tokens was last brought up to date
	events  int       // counted events since the last log line
	refused int       // refusals since the last log line
	last    string    // the last event, e.g. "unauthorized on /api/v1/netmap"
	logged  time.Time // when the last line about this source was written
}

func newSourceLimiter(what string, spec bucketSpec, logEvents bool, log *slog.Logger) *sourceLimiter {
	return &sourceLimiter{what: what, spec: spec, logEvents: logEvents, log: log, sources: map[netip.Prefix]*source{}}
}

// getLocked returns src's bucket brought up to now, making it if needed.
func (l *sourceLimiter) getLocked(src netip.Prefix, now time.Time) *source {
	s := l.sources[src]
	if s == nil {
		if len(l.sources) >= maxSources {
			l.evictLocked(now)
		}
		s = &source{tokens: l.spec.Burst, at: now}
		l.sources[src] = s
	}
	if dt := now.Sub(s.at).Seconds(); dt > 0 {
		s.tokens = min(l.spec.Burst, s.tokens+dt*l.spec.Rate)
		s.at = now
	}
	return s
}

// wait is how long until s has a whole token.
func (l *sourceLimiter) wait(s *source) time.Duration {
	if s.tokens >= 1 || l.spec.Rate <= 0 {
		return time.Hour
	}
	return time.Duration((1 - s.tokens) / l.spec.Rate * float64(time.Second))
}

// allowed reports whether src has a token left, without taking it; a
// refusal is counted for the log.
func (l *sourceLimiter) allowed(src netip.Prefix, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.getLocked(src, now)
	if s.tokens >= 1 {
		return true, 0
	}
	s.refused++
	l.maybeLogLocked(src, s, now)
	return false, l.wait(s)
}

// take spends one of src's tokens on an event (what happened, for the
// log); ok is false when there was none left.
func (l *sourceLimiter) take(src netip.Prefix, event string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.getLocked(src, now)
	if l.logEvents {
		s.events++
	}
	s.last = event
	if s.tokens >= 1 {
		s.tokens--
		if l.logEvents {
			l.maybeLogLocked(src, s, now)
		}
		return true, 0
	}
	s.refused++
	l.maybeLogLocked(src, s, now)
	return false, l.wait(s)
}

// maybeLogLocked writes src's line unless one was written within a minute;
// what is held back goes out with the next line or the next sweep.
func (l *sourceLimiter) maybeLogLocked(src netip.Prefix, s *source, now time.Time) {
	if !s.logged.IsZero() && now.Sub(s.logged) < limitLogEvery {
		return
	}
	l.logLocked(src, s, now)
}

func (l *sourceLimiter) logLocked(src netip.Prefix, s *source, now time.Time) {
	l.log.Warn(l.what, "source", sourceString(src), "count", s.events, "refused", s.refused, "last", s.last)
	s.events, s.refused, s.logged = 0, 0, now
}

func sourceString(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// evictLocked makes room: sources whose bucket is full and who have
// nothing left to log go first; else the least recently seen one.
func (l *sourceLimiter) evictLocked(now time.Time) {
	var oldest netip.Prefix
	var oldestAt time.Time
	for p, s := range l.sources {
		full := s.tokens+now.Sub(s.at).Seconds()*l.spec.Rate >= l.spec.Burst
		if full && s.events == 0 && s.refused == 0 {
			delete(l.sources, p)
			continue
		}
		if oldestAt.IsZero() || s.at.Before(oldestAt) {
			oldest, oldestAt = p, s.at
		}
	}
	if len(l.sources) >= maxSources {
		s := l.sources[oldest]
		l.dropped += s.events + s.refused
		delete(l.sources, oldest)
	}
}

// sweep logs what was held back for longer than a minute, at most
// maxLimitLogLines lines and one line summing up the rest, and forgets
// sources whose bucket is full again.
func (l *sourceLimiter) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines, rest, restSources := 0, l.dropped, 0
	l.dropped = 0
	for p, s := range l.sources {
		pending := s.events > 0 || s.refused > 0
		switch {
		case pending && now.Sub(s.logged) < limitLogEvery:
			continue
		case pending && lines < maxLimitLogLines:
			l.logLocked(p, s, now)
			lines++
		case pending:
			rest += s.events + s.refused
			restSources++
			s.events, s.refused, s.logged = 0, 0, now
		}
		if s.tokens+now.Sub(s.at).Seconds()*l.spec.Rate >= l.spec.Burst && s.events == 0 && s.refused == 0 {
			delete(l.sources, p)
		}
	}
	if rest > 0 {
		l.log.Warn(l.what+" from more addresses", "sources", restSources, "count", rest)
	}
}

// sweepLimits runs the limiters' sweeps until ctx ends.
func (h *Hub) sweepLimits(ctx context.Context) {
	t := time.NewTicker(limitLogEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.authFailures.sweep(now)
			h.rotations.sweep(now)
		}
	}
}

// authFailure reports errors that mean a wrong credential: an unknown
// device or gateway token, or an invite that is not (or no longer) good.
func authFailure(e *Error) bool {
	switch e.Code {
	case ErrUnauthorized.Code, ErrInviteUnknown.Code, ErrInviteExpired.Code, ErrInviteUsed.Code:
		return true
	}
	return false
}

// noteFailure charges a failed authentication to the request's source.
func (h *Hub) noteFailure(r *http.Request, e *Error) {
	if src := sourceOf(r); src.IsValid() && authFailure(e) {
		h.authFailures.take(src, e.Code+" on "+metricPath(r.URL.Path), time.Now())
	}
}

// limitFailures refuses every API request of a source that has used up its
// failed authentications, before its credential is looked at, until its
// bucket refills.
func (h *Hub) limitFailures(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := sourceOf(r)
		if !src.IsValid() || r.URL.Path == PathHealth {
			next.ServeHTTP(w, r)
			return
		}
		if ok, after := h.authFailures.allowed(src, time.Now()); !ok {
			err := throttle(after, "too many failed authentications from %s; check the token or invite, and retry later", sourceString(src))
			setRetryAfter(w, err)
			writeJSON(w, http.StatusTooManyRequests, AsError(err).API())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// chargeRotation spends one of the source's key rotations.
func (h *Hub) chargeRotation(r *http.Request) error {
	src := sourceOf(r)
	if !src.IsValid() {
		return nil
	}
	if ok, after := h.rotations.take(src, "rotate", time.Now()); !ok {
		return throttle(after, "too many key rotations from %s; a device rotates its key now and then, not in a loop", sourceString(src))
	}
	return nil
}
