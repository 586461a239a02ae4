package sqlstore

import "time"

// ms stores a time as Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nullable stores an empty string as SQL NULL, so that unique indexes
// ignore absent values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
