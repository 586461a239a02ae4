package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// A user's second factors, for an administrator helping a user who lost an
// authenticator (docs/mfa.md): list them, remove one or all; the user
// enrols again at the next sign-in to an application that requires MFA.
// Secrets are never part of any answer.

type mfaCredentialRead struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"` // totp
	Label     string  `json:"label"`
	Confirmed bool    `json:"confirmed"` // false: an enrolment in progress
	CreatedAt *string `json:"created_at"`
	// LastUsedAt is the start of the 30-second step of the last accepted
	// code, null before the first.
	LastUsedAt *string `json:"last_used_at"`
}

type mfaCredentialList struct {
	Total       int                 `json:"total"`
	Credentials []mfaCredentialRead `json:"credentials"`
}

// listMFACredentials is GET /api/v2/tenant/users/{user_id}/mfa-credentials.
func (a *API) listMFACredentials(w http.ResponseWriter, r *http.Request) error {
	list, err := a.MFA.Credentials(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := mfaCredentialList{Total: len(list), Credentials: make([]mfaCredentialRead, len(list))}
	for i := range list {
		c := &list[i]
		out.Credentials[i] = mfaCredentialRead{ID: c.ID, Type: c.Type, Label: c.Label, Confirmed: c.Confirmed, CreatedAt: a.stamp(c.CreatedAt)}
		if lu := mfa.LastUsed(c); lu != nil {
			out.Credentials[i].LastUsedAt = a.stamp(*lu)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteMFACredential is DELETE …/users/{user_id}/mfa-credentials/{credential_id}: 204.
func (a *API) deleteMFACredential(w http.ResponseWriter, r *http.Request) error {
	err := a.MFA.Remove(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"), r.PathValue("credential_id"), actor(r))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteMFACredentials is DELETE …/users/{user_id}/mfa-credentials: every
// credential of the user, enrolments in progress included; 204 also when
// the user had none.
func (a *API) deleteMFACredentials(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.MFA.RemoveAll(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"), actor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
