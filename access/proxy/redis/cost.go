package redis

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultMaxCount is Options.MaxCount when it is 0.
const DefaultMaxCount = 1000

// costRefusal is why an allowed command is refused all the same for the
// work it would have the server do, which its arguments choose rather
// than the size of the data: empty when it may run. Each Redis command
// runs alone on the server, so one that takes a second holds up every
// other client of the server for that second.
//
// LCS is refused whatever its arguments: its cost is quadratic in the
// data, so ordinary values make it harmful.
//
// Counts are refused, not clamped: a clamped command is not the one the
// client sent and audited, and a clamped SRANDMEMBER would answer fewer
// members than asked without saying so.
func costRefusal(name string, args [][]byte, maxCount int) string {
	switch name {
	case "scan": // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
		return scanCount(name, args, 2, maxCount)
	case "sscan", "hscan", "zscan": // xSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
		return scanCount(name, args, 3, maxCount)
	case "srandmember", "hrandfield", "zrandmember":
		// A negative count may repeat members: the reply has that many
		// whatever the size of the key.
		if len(args) < 3 {
			return ""
		}
		n, ok := count(args[2])
		if !ok {
			return fmt.Sprintf("%s count must be an integer", display(name))
		}
		if n < -int64(maxCount) {
			return fmt.Sprintf("%s with a count under -%d is refused: the reply would have that many elements "+
				"whatever the size of the key", display(name), maxCount)
		}
	case "lcs":
		// Time and a transient table proportional to the product of the
		// two strings' lengths: two strings of 11 KB take the server
		// 0.4 s and almost 512 MB (proto-max-bulk-len, its only bound).
		return "LCS is refused: its time and memory on the server grow with the product of the two strings' lengths"
	case "memory|usage": // MEMORY USAGE key [SAMPLES count]; SAMPLES 0 walks every element
		return option(name, args, 3, "samples", maxCount, "SAMPLES 0 walks every element of the key")
	case "xinfo|stream": // XINFO STREAM key [FULL [COUNT count]]; COUNT 0 lists every entry
		return option(name, args, 3, "count", maxCount, "COUNT 0 lists every entry of the stream")
	}
	return ""
}

// scanCount refuses a SCAN-family COUNT over maxCount. Options are read in
// pairs as Redis reads them, so that MATCH's pattern is never taken for an
// option; every COUNT is checked, not just the last that Redis obeys.
func scanCount(name string, args [][]byte, from, maxCount int) string {
	for i := from; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "match", "type":
			i++
		case "count":
			if i+1 >= len(args) {
				return "" // the server answers the syntax error
			}
			i++
			if n, ok := count(args[i]); !ok || n < 1 || n > int64(maxCount) {
				return fmt.Sprintf("%s COUNT must be between 1 and %d: a larger count holds up the server "+
					"for every client while it walks that many entries; scan in more steps", display(name), maxCount)
			}
		}
	}
	return ""
}

// option refuses a count option that is 0 (no limit) or over maxCount
// wherever it appears after args[from].
func option(name string, args [][]byte, from int, opt string, maxCount int, why string) string {
	for i := from; i+1 < len(args); i++ {
		if !strings.EqualFold(string(args[i]), opt) {
			continue
		}
		if n, ok := count(args[i+1]); !ok || n < 1 || n > int64(maxCount) {
			return fmt.Sprintf("%s %s must be between 1 and %d (%s)", display(name), strings.ToUpper(opt), maxCount, why)
		}
	}
	return ""
}

// count parses a count argument. Whatever Redis reads as an integer this
// reads as the same integer; what this does not read is refused.
func count(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}
