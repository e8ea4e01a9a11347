package stores

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// idIndex maps the id of every stored response to the seq (rowid) of its
// row. It takes the place of an index on disk. Because ids are random,
// every insert into such an index and every eviction from it changed a
// leaf page at a random position. With thousands of responses stored,
// those index pages were most of the pages a commit wrote to the WAL.
// The map is loaded from the table when a connection is opened. A write
// changes it along with the table and undoes its changes when the
// transaction fails.
//
// NOTE: this needs the store to be the only writer of the file, as the row
// count already does. A row that another process inserts cannot be read
// through this store until the next reopen, and one that another process
// deletes is reported as in use by another session key when Put replaces
// it.
type idIndex struct {
	seqs map[string]int64
}

// idChanges records what one transaction changed in an idIndex, so that
// undo can restore it when the transaction fails.
type idChanges struct {
	added   []string
	removed []idSeq
}

type idSeq struct {
	id  string
	seq int64
}

// loadIDIndex reads the id and seq of every row of responses.
func loadIDIndex(ctx context.Context, db *sql.DB) (idIndex, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, seq FROM responses")
	if err != nil {
		return idIndex{}, classify(fmt.Errorf("reading response ids: %w", err))
	}
	defer func() { _ = rows.Close() }()

	index := idIndex{seqs: make(map[string]int64)}
	for rows.Next() {
		var (
			id  string
			seq int64
		)
		if err := rows.Scan(&id, &seq); err != nil {
			return idIndex{}, classify(fmt.Errorf("reading response ids: %w", err))
		}
		index.seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return idIndex{}, classify(fmt.Errorf("reading response ids: %w", err))
	}
	return index, nil
}

// lookup returns the seq of the row holding id.
func (x idIndex) lookup(id string) (int64, bool) {
	seq, ok := x.seqs[id]
	return seq, ok
}

// add records a row inserted in the current transaction. The id is
// cloned because it may share memory with a larger request.
func (x idIndex) add(id string, seq int64, changes *idChanges) {
	id = strings.Clone(id)
	x.seqs[id] = seq
	changes.added = append(changes.added, id)
}

// remove records a row deleted in the current transaction, or by a
// statement that already committed when changes is nil.
func (x idIndex) remove(id string, changes *idChanges) {
	seq, ok := x.seqs[id]
	if !ok {
		return
	}
	delete(x.seqs, id)
	if changes != nil {
		changes.removed = append(changes.removed, idSeq{id: id, seq: seq})
	}
}

// undo reverts the changes of a transaction that failed. Removed rows come
// back first, so that a row both inserted and evicted in the transaction
// ends up absent.
func (x idIndex) undo(changes *idChanges) {
	for _, r := range changes.removed {
		x.seqs[r.id] = r.seq
	}
	for _, id := range changes.added {
		delete(x.seqs, id)
	}
}
