package mgmt

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// contentType is what OneAccess answers with.
const contentType = "application/json;charset=UTF-8"

// shapeA is OneAccess's business error body.
type shapeA struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// shapeB is the OAuth-style error body of token and bearer failures.
type shapeB struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// Bearer failures, with Spring Security OAuth2's texts as OneAccess sends them.
var (
	errNoToken  = failure.New(failure.Unauthenticated, "unauthorized", "", "Full authentication is required to access this resource")
	errBadToken = failure.New(failure.Unauthenticated, "invalid_token", "", "Invalid access token.")
	errDenied   = failure.New(failure.Forbidden, "access_denied", "", "Access is denied")
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError is the one place a management-API error becomes a response.
// Failures are shown as they are; anything else is logged and becomes a
// 500 that reveals nothing.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	f, ok := failure.As(err)
	if !ok {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, shapeA{"COMMON.0004", "The request body is too large."})
			return
		}
		log.ErrorContext(r.Context(), "management API: internal error", "err", err, "request_id", reqinfo.From(r.Context()).ID)
		writeJSON(w, http.StatusInternalServerError, shapeA{"COMMON.0500", "Internal error; the request id in X-Request-Id identifies it in the server log."})
		return
	}
	switch f.Kind {
	case failure.Unauthenticated:
		if f == errNoToken { // RFC 6750 section 3.1: no error code when no token was sent
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="`+f.Code+`"`)
		}
		writeJSON(w, http.StatusUnauthorized, shapeB{f.Code, f.Message})
	case failure.Forbidden:
		writeJSON(w, http.StatusForbidden, shapeB{f.Code, f.Message})
	default: // OneAccess answers every business and parameter error with 400
		writeJSON(w, http.StatusBadRequest, shapeA{f.Code, f.Message})
	}
}
