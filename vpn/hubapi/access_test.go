package hubapi

import (
	"testing"
	"time"
)

func TestRequestStateAt(t *testing.T) {
	deadline := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state string
		now   time.Time
		want  string
	}{
		{name: "approved before its deadline", state: StateApproved, now: deadline.Add(-time.Nanosecond), want: StateApproved},
		{name: "approved at its deadline", state: StateApproved, now: deadline, want: StateExpired},
		{name: "approved past its deadline", state: StateApproved, now: deadline.Add(time.Hour), want: StateExpired},
		{name: "pending stays pending", state: StatePending, now: deadline.Add(time.Hour), want: StatePending},
		{name: "revoked stays revoked", state: StateRevoked, now: deadline.Add(time.Hour), want: StateRevoked},
		{name: "expired stays expired", state: StateExpired, now: deadline.Add(-time.Hour), want: StateExpired},
	}
	for _, tt := range tests {
		r := Request{State: tt.state, NotAfter: deadline}
		if got := r.StateAt(tt.now); got != tt.want {
			t.Errorf("%s: StateAt = %q, want %q", tt.name, got, tt.want)
		}
	}
}
