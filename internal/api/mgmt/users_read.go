package mgmt

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// getUser is GET /api/v2/tenant/users/{user_id} (2.8).
func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Users.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userRead(u))
	return nil
}

// getUserByName is POST /api/v2/tenant/users/user-by-username (2.9).
func (a *API) getUserByName(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserName opt.String `json:"user_name"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	u, err := a.Users.GetByUserName(r.Context(), tenant.FromContext(r.Context()).ID, in.UserName.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userRead(u))
	return nil
}

type userList struct {
	Total int        `json:"total"`
	Users []userRead `json:"users"`
}

// listUsers is GET /api/v2/tenant/users (2.10): org_id, offset (0-based
// page index), limit (10-100), updated_at_greater.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return err
	}
	f := storage.UserFilter{OrgID: q.Get("org_id"), Offset: offset * limit, Limit: limit}
	if s := q.Get("updated_at_greater"); s != "" {
		if f.UpdatedAfter, err = a.parseStamp(s); err != nil {
			return failure.Invalidf("COMMON.0005", "updated_at_greater", "The updated_at_greater must be a time, yyyy-MM-dd HH:mm:ss[.SSS].")
		}
	}
	users, total, err := a.Users.List(r.Context(), tenant.FromContext(r.Context()).ID, f)
	if err != nil {
		return err
	}
	out := userList{Total: total, Users: make([]userRead, len(users))}
	for i := range users {
		out.Users[i] = a.userRead(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// maxOffset bounds the page index so offset*limit stays far from overflow.
const maxOffset = 10_000_000

// paging reads OneAccess's offset (page index, default 0) and limit
// (page size 10-100, default 10).
func paging(offsetS, limitS string) (offset, limit int, err error) {
	offset, limit = 0, 10
	if offsetS != "" {
		if offset, err = strconv.Atoi(offsetS); err != nil || offset < 0 || offset > maxOffset {
			return 0, 0, failure.Invalidf("COMMON.0001", "offset", "The offset must be a page index from 0 to %d.", maxOffset)
		}
	}
	if limitS != "" {
		if limit, err = strconv.Atoi(limitS); err != nil || limit < 10 || limit > 100 {
			return 0, 0, failure.Invalidf("COMMON.0001", "limit", "The limit must be a page size from 10 to 100.")
		}
	}
	return offset, limit, nil
}

// parseStamp reads a OneAccess timestamp in the response zone.
func (a *API) parseStamp(s string) (time.Time, error) {
	for _, layout := range []string{stampLayout, "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, a.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, strconv.ErrSyntax
}
