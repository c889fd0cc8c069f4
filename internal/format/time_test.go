package format

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
		next time.Duration // AgeChangesIn
	}{
		{name: "negative", d: -5 * time.Second, want: "0s", next: time.Second},
		{name: "zero", d: 0, want: "0s", next: time.Second},
		{name: "seconds", d: 12*time.Second + 300*time.Millisecond, want: "12s", next: 700 * time.Millisecond},
		{name: "minutes pad seconds", d: 4*time.Minute + 5*time.Second, want: "4m05s", next: time.Second},
		{name: "last second of an hour", d: time.Hour - time.Second, want: "59m59s", next: time.Second},
		{name: "hours pad minutes", d: time.Hour + 2*time.Minute + 3*time.Second, want: "1h02m", next: 57 * time.Second},
		{name: "days", d: 53*time.Hour + 20*time.Minute, want: "2d5h", next: 40 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Age(tt.d); got != tt.want {
				t.Errorf("Age(%s) = %q, want %q", tt.d, got, tt.want)
			}
			if got := AgeChangesIn(tt.d); got != tt.next {
				t.Errorf("AgeChangesIn(%s) = %s, want %s", tt.d, got, tt.next)
			}
			if tt.d >= 0 && Age(tt.d+AgeChangesIn(tt.d)-time.Nanosecond) != tt.want {
				t.Errorf("Age(%s) changed before AgeChangesIn said", tt.d)
			}
			if tt.d >= 0 && Age(tt.d+AgeChangesIn(tt.d)) == tt.want {
				t.Errorf("Age(%s) did not change when AgeChangesIn said", tt.d)
			}
		})
	}
}

func TestAgoLeftClock(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "ago", got: Ago(now.Add(-(time.Hour + 2*time.Minute + 3*time.Second)), now), want: "1h02m ago"},
		{name: "ago never", got: Ago(time.Time{}, now), want: "never"},
		{name: "left rounds up", got: Left(now.Add(12*time.Minute+3*time.Second+time.Millisecond), now), want: "12m04s left"},
		{name: "left exact", got: Left(now.Add(30*time.Second), now), want: "30s left"},
		{name: "left ended", got: Left(now, now), want: "ended"},
		{name: "clock in now's zone", got: Clock(time.Date(2026, 5, 1, 7, 30, 0, 0, time.UTC), now), want: "09:30:00"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45s"},
		{30 * time.Minute, "30m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{90*time.Minute + 5*time.Second, "1h30m5s"},
		{1500 * time.Millisecond, "2s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
