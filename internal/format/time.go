package format

import (
	"fmt"
	"strings"
	"time"
)

// Age is an elapsed time in its two largest units: 12s, 4m05s, 3h20m, 2d5h.
// A negative d (clocks apart) reads 0s.
func Age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// AgeChangesIn is how long until Age of an elapsed time d reads
// differently, so that a screen redraws when, and only when, it must.
func AgeChangesIn(d time.Duration) time.Duration {
	d = max(d, 0)
	step := time.Hour
	switch {
	case d < time.Hour:
		step = time.Second
	case d < 24*time.Hour:
		step = time.Minute
	}
	return step - d%step
}

// Ago is how long before now t was: "12s ago", or "never" for the zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return Age(now.Sub(t)) + " ago"
}

// Left is the countdown from now to t: "12m04s left", or "ended". The time
// left rounds up, so that it reads 0s only at the end.
func Left(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "ended"
	}
	return Age((d + time.Second - 1).Truncate(time.Second)) + " left"
}

// Duration is a length of time someone chose (a grant's, an invite's), to
// the second and without zero units: 45s, 30m, 1h, 1h30m.
func Duration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Clock is t's time of day in now's zone: screens show deadlines on the
// reader's clock.
func Clock(t, now time.Time) string { return t.In(now.Location()).Format(time.TimeOnly) }
