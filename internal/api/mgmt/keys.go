package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

type keyRead struct {
	KID       string  `json:"kid"`
	Algorithm string  `json:"algorithm"`
	Status    string  `json:"status"` // pending (published, not yet signing), current, retiring
	CreatedAt *string `json:"created_at"`
	NotBefore *string `json:"not_before"`
	ExpiresAt *string `json:"expires_at"`
}

type keyList struct {
	Total int       `json:"total"`
	Keys  []keyRead `json:"keys"`
}

// listKeys is GET /api/v2/tenant/keys: the tenant's signing keys still
// published in its JWKS, newest first.
func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	infos, err := a.Keys.List(r.Context(), tenant.FromContext(r.Context()).ID)
	if err != nil {
		return err
	}
	now := a.Now()
	out := keyList{Total: len(infos), Keys: make([]keyRead, len(infos))}
	for i, k := range infos {
		st := "current"
		switch {
		case !k.ExpiresAt.IsZero():
			st = "retiring"
		case k.NotBefore.After(now):
			st = "pending"
		}
		out.Keys[i] = keyRead{KID: k.KID, Algorithm: k.Algorithm, Status: st, CreatedAt: a.stamp(k.CreatedAt),
			NotBefore: a.stamp(k.NotBefore), ExpiresAt: a.stamp(k.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// rotateKey is POST /api/v2/tenant/keys/rotate {"algorithm": "RS256"|"ES256"}:
// 201 {kid}. The new key is published now and signs after the publish
// delay; the old one stays published until its tokens have expired.
func (a *API) rotateKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Algorithm opt.String `json:"algorithm"`
	}
	if err := decodeBody(r, &in, false); err != nil {
		return err
	}
	alg := in.Algorithm.V
	if alg == "" {
		alg = keys.RS256
	}
	if alg != keys.RS256 && alg != keys.ES256 {
		return failure.Invalidf("KEY.0001", "algorithm", "The algorithm must be RS256 or ES256.")
	}
	t := tenant.FromContext(r.Context())
	// Rotate runs its own transaction; the audit event follows it (an
	// outer transaction would hold SQLite's one writer connection).
	kid, err := a.Keys.Rotate(r.Context(), t.ID, alg)
	result, detail := storage.ResultSuccess, alg
	if err != nil {
		result, detail = storage.ResultFailure, "internal error"
	}
	if aerr := a.Store.Audit().Append(r.Context(), a.Audit.Event(t.ID, actor(r), "key.rotate",
		audit.Target{Type: "signing_key", ID: kid}, result, detail)); aerr != nil {
		a.Log.ErrorContext(r.Context(), "audit: cannot record key rotation", "err", aerr)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"kid": kid, "algorithm": alg})
	return nil
}
