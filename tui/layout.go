package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Layout helpers shared by the root model and the panels, which must each
// render into exactly the size they were given.

// FitLine cuts s to w columns (with …) and pads it to exactly w.
func FitLine(s string, w int) string {
	return pad(ansi.Truncate(s, w, "…"), w)
}

// Fit cuts or pads lines to exactly width columns and height rows.
func Fit(lines []string, width, height int) string {
	lines = lines[:min(len(lines), height)]
	for len(lines) < height {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = FitLine(l, width)
	}
	return strings.Join(lines, "\n")
}

// Columns aligns rows in columns two spaces apart. limits, when given,
// cap the width of each column but the last (the last limit holds for
// the columns after it); the last column is left to Fit.
func Columns(rows [][]string, limits ...int) []string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			if len(limits) > 0 && i < len(r)-1 {
				c = ansi.Truncate(c, limits[min(i, len(limits)-1)], "…")
				r[i] = c
			}
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for j, c := range r {
			if j < len(r)-1 {
				c = pad(c, widths[j]+2)
			}
			b.WriteString(c)
		}
		out[i] = strings.TrimRight(b.String(), " ")
	}
	return out
}

// pad fills s with spaces to width w.
func pad(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
