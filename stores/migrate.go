package stores

import (
	"context"
	"database/sql"
	"fmt"
)

// migrate brings the schema of db up to len(migrations). Migration i (from
// zero) moves the database from user_version i to i+1 in one transaction,
// so a failed step leaves the previous version intact.
func migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return classify(fmt.Errorf("reading schema version: %w", err))
	}
	if version > len(migrations) {
		return &SchemaVersionError{Found: version, Supported: len(migrations)}
	}
	if version < 0 {
		return fmt.Errorf("database schema version %d is negative; "+
			"the file is not an actorgate database", version)
	}
	for v := version; v < len(migrations); v++ {
		if err := applyMigration(ctx, db, v+1, migrations[v]); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, script string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(fmt.Errorf("migrating schema to version %d: %w", version, err))
	}
	defer func() { _ = tx.Rollback() }()

	if _, err := tx.ExecContext(ctx, script); err != nil {
		return classify(fmt.Errorf("migrating schema to version %d: %w", version, err))
	}
	// PRAGMA takes no bound parameters, and version is an int, not input.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return classify(fmt.Errorf("setting schema version %d: %w", version, err))
	}
	if err := tx.Commit(); err != nil {
		return classify(fmt.Errorf("committing schema version %d: %w", version, err))
	}
	return nil
}
