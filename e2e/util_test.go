package e2e

import (
	"encoding/base64"
	"encoding/json"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
