package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/tenant"
)

// A user's SSO sessions, for an administrator: where the user is signed
// in, and signing the user out everywhere (a lost laptop, a suspected
// account). Session cookies are never part of any answer.

type sessionRead struct {
	SID       string   `json:"sid"`
	AuthTime  *string  `json:"auth_time"`
	AMR       []string `json:"amr"`
	ACR       string   `json:"acr"`
	CreatedAt *string  `json:"created_at"`
	LastSeen  *string  `json:"last_seen"`
	ExpiresAt *string  `json:"expires_at"`
}

type sessionList struct {
	Total    int           `json:"total"`
	Sessions []sessionRead `json:"sessions"`
}

// listUserSessions is GET /api/v2/tenant/users/{user_id}/sessions.
func (a *API) listUserSessions(w http.ResponseWriter, r *http.Request) error {
	list, err := a.Users.ListSessions(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := sessionList{Total: len(list), Sessions: make([]sessionRead, len(list))}
	for i := range list {
		s := &list[i]
		amr := s.AMR
		if amr == nil {
			amr = []string{}
		}
		out.Sessions[i] = sessionRead{SID: s.SID, AuthTime: a.stamp(s.AuthTime), AMR: amr, ACR: s.ACR,
			CreatedAt: a.stamp(s.CreatedAt), LastSeen: a.stamp(s.LastSeen), ExpiresAt: a.stamp(s.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// endUserSessions is DELETE /api/v2/tenant/users/{user_id}/sessions: 204,
// also when the user had none.
func (a *API) endUserSessions(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.Users.EndSessions(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
