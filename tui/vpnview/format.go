package vpnview

import (
	"fmt"
	"time"
)

// handshakeAge is how long ago a handshake was: "12s ago", "never".
func handshakeAge(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return age(now.Sub(t)) + " ago"
}

// age is a duration in its two largest units: 12s, 4m05s, 3h20m, 2d5h.
func age(d time.Duration) string {
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

// bytesSize is a byte count in binary units: 512 B, 1.2 KiB, 3.4 MiB.
func bytesSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// shortKey is the start of a public key, enough to tell peers apart.
func shortKey(k string) string {
	if r := []rune(k); len(r) > 8 {
		return string(r[:8]) + "…"
	}
	return k
}
