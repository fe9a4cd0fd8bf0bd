package objgate

import (
	"context"
	"errors"
	"io"

	"github.com/objgate/objgate/client/go/storagepb"
)

// Done is returned by an iterator's Next when there are no more items; it is not an error
// of the call.
var Done = errors.New("no more items in iterator")

// ListOptions narrow a listing. The zero value lists every object.
type ListOptions struct {
	// PageSize is the number of entries per page, 1 to 10000; 0 means the gateway's 1000.
	PageSize int32
	// StartAfter lists only keys strictly after this one: pass the last key (or folder)
	// seen to continue an earlier listing.
	StartAfter string
	// Limit stops after this many entries (and folders) in all; 0 means no limit.
	Limit int64
	// Delimiter, when set (usually "/"), folds the keys below each folder into the pages'
	// Prefixes ("photos/"), each once.
	Delimiter string
}

// PageIterator yields a listing's pages as the gateway sends them. Call Close if you stop
// before Next returns Done or an error.
type PageIterator struct {
	stream storagepb.ObjectStorage_ListClient
	cancel context.CancelFunc
	err    error
}

// ListPages lists the objects under prefix in key order, in pages of at most
// opts.PageSize entries; a listing with no match is one empty page. opts may be nil. The
// call starts at once; its errors come from Next.
func (c *Client) ListPages(ctx context.Context, prefix string, opts *ListOptions) *PageIterator {
	if opts == nil {
		opts = &ListOptions{}
	}
	ctx, cancel := c.callContext(ctx, true)
	stream, err := c.stub.List(ctx, &storagepb.ListRequest{
		Prefix:     prefix,
		PageSize:   opts.PageSize,
		StartAfter: opts.StartAfter,
		Limit:      opts.Limit,
		Delimiter:  opts.Delimiter,
	})
	if err != nil {
		cancel()
		return &PageIterator{err: err, cancel: func() {}}
	}
	return &PageIterator{stream: stream, cancel: cancel}
}

// Next returns the next page, or Done after the last one, or the call's error.
func (it *PageIterator) Next() (*storagepb.ListResponse, error) {
	if it.err != nil {
		return nil, it.err
	}
	page, err := it.stream.Recv()
	if err == io.EOF {
		err = Done
	}
	if err != nil {
		it.err = err
		it.cancel()
		return nil, err
	}
	return page, nil
}

// Close ends the call if it is still going; Next then returns Done.
func (it *PageIterator) Close() {
	if it.err == nil {
		it.err = Done
	}
	it.cancel()
}

// EntryIterator yields a listing's entries one at a time, however many pages they span.
// Call Close if you stop before Next returns Done or an error.
type EntryIterator struct {
	pages *PageIterator
	page  []*storagepb.ObjectEntry
}

// List lists the entries under prefix in key order (see ListPages). opts may be nil; its
// Delimiter is best left empty here, since List drops the folders (use ListFolder).
func (c *Client) List(ctx context.Context, prefix string, opts *ListOptions) *EntryIterator {
	return &EntryIterator{pages: c.ListPages(ctx, prefix, opts)}
}

// Next returns the next entry, or Done after the last one, or the call's error.
func (it *EntryIterator) Next() (*storagepb.ObjectEntry, error) {
	for len(it.page) == 0 {
		page, err := it.pages.Next()
		if err != nil {
			return nil, err
		}
		it.page = page.Entries
	}
	entry := it.page[0]
	it.page = it.page[1:]
	return entry, nil
}

// Close ends the call if it is still going; Next then returns Done.
func (it *EntryIterator) Close() {
	it.page = nil
	it.pages.Close()
}

// ListFolder lists one level of a folder tree: the entries directly under prefix and the
// folders (common prefixes, such as "photos/") below it, each in key order. delimiter ""
// means "/".
func (c *Client) ListFolder(ctx context.Context, prefix, delimiter string) ([]*storagepb.ObjectEntry, []string, error) {
	if delimiter == "" {
		delimiter = "/"
	}
	pages := c.ListPages(ctx, prefix, &ListOptions{Delimiter: delimiter})
	defer pages.Close()
	var entries []*storagepb.ObjectEntry
	var folders []string
	for {
		page, err := pages.Next()
		if err == Done {
			return entries, folders, nil
		}
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, page.Entries...)
		folders = append(folders, page.Prefixes...)
	}
}
