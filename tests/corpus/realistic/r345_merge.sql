-- revision: r345_merge
-- parents: r343_index_ix_events_55_235, r344_add_documents_111_amount_236
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

