package sqlstore

import (
	"context"
)

type settingsRepo struct{ repos }

func (x settingsRepo) Get(ctx context.Context, name string) (string, error) {
	var v string
	err := x.r.QueryRowContext(ctx, x.d.q("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	return v, notFound(err)
}

func (x settingsRepo) PutIfAbsent(ctx context.Context, name, value string) (string, error) {
	if _, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"), name, value); err != nil {
		return "", err
	}
	var v string
	err := x.w.QueryRowContext(ctx, x.d.q("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	return v, notFound(err)
}
