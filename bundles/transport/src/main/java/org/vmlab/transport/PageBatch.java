package org.vmlab.transport;

import java.nio.ByteBuffer;

import org.vmlab.api.memory.GuestMemory;
import org.vmlab.api.memory.Pages;

/**
 * Page records packed into one frame payload: a header (round as int, record count as int) and
 * records of pfn (long), kind (byte: 0 zero page, no content; 1 raw, 4096 bytes; 3 LZ4, int
 * length and that many bytes of an {@link Lz4Block LZ4 block} decoding to exactly 4096).
 *
 * <p>Kind 2 (deflate) was protocol version 1's compression; it is neither sent nor accepted.
 */
public final class PageBatch {
    public static final int ZERO = 0;
    public static final int RAW = 1;
    /** Protocol version 1's deflate records; refused by this version's reader. */
    @Deprecated
    public static final int DEFLATE = 2;
    public static final int LZ4 = 3;
    private static final int HEAD = 8;
    private static final int RECORD_MAX = 8 + 1 + 4 + Pages.SIZE + 64;
    /** Room a page may take while it is compressed (within RECORD_MAX); it goes raw if that saves under 16 bytes. */
    private static final int LZ4_MAX = Lz4Block.maxCompressedLength(Pages.SIZE);

    private PageBatch() {
    }

    /**
     * Builds batches; one per sending thread (not thread-safe). The batch is built behind room for
     * the frame header, so a batch goes to the socket in one write ({@link #sendOn}), and a page
     * comes straight from guest memory into it ({@link #addPage(long, GuestMemory)}).
     */
    public static final class Writer {
        private final byte[] buf;
        private final ByteBuffer bb;
        private final Lz4Block lz4;
        private final byte[] page = new byte[Pages.SIZE];
        private int pages;
        private long zeroPages;
        private long compressedIn;
        private long compressedOut;

        /**
         * @param compress whether page content is LZ4-compressed (kept raw when that does not save 16 bytes)
         * @param maxBytes payload size to aim for, at most {@link FrameChannel#MAX_FRAME}
         */
        public Writer(boolean compress, int maxBytes) {
            int size = Math.max(HEAD + RECORD_MAX, Math.min(maxBytes, FrameChannel.MAX_FRAME));
            buf = new byte[FrameChannel.HEADER + size];
            bb = ByteBuffer.wrap(buf);
            lz4 = compress ? new Lz4Block() : null;
            begin(0);
        }

        /** Starts an empty batch for pages of {@code round}. */
        public void begin(int round) {
            bb.clear();
            bb.position(FrameChannel.HEADER);
            bb.putInt(round);
            bb.putInt(0);
            pages = 0;
        }

        /** Whether one more page record might not fit. */
        public boolean isFull() {
            return bb.remaining() < RECORD_MAX;
        }

        public int pages() {
            return pages;
        }

        public void addZero(long pfn) {
            bb.putLong(pfn);
            bb.put((byte) ZERO);
            pages++;
            zeroPages++;
        }

        /** Adds page {@code pfn} of {@code memory}, copied once: from guest memory into the batch. */
        public void addPage(long pfn, GuestMemory memory) {
            if (lz4 != null) {
                memory.readPage(pfn, ByteBuffer.wrap(page));
                addPage(pfn, ByteBuffer.wrap(page));
                return;
            }
            bb.putLong(pfn);
            bb.put((byte) RAW);
            memory.readPage(pfn, bb);
            pages++;
        }

        /** Adds a page from the next 4096 bytes of {@code content}. */
        public void addPage(long pfn, ByteBuffer content) {
            bb.putLong(pfn);
            if (lz4 != null) {
                content.get(page);
                int start = bb.position() + 5;
                int n = lz4.compress(page, 0, Pages.SIZE, buf, start, LZ4_MAX);
                if (n > 0 && n <= Pages.SIZE - 16) {
                    bb.put((byte) LZ4);
                    bb.putInt(n);
                    bb.position(start + n);
                    compressedIn += Pages.SIZE;
                    compressedOut += n;
                } else {
                    bb.put((byte) RAW);
                    bb.put(page);
                }
            } else {
                bb.put((byte) RAW);
                bb.put(content);
            }
            pages++;
        }

        /** The payload of the current batch (a read-only view). */
        public ByteBuffer payload() {
            bb.putInt(FrameChannel.HEADER + 4, pages);
            return ByteBuffer.wrap(buf, FrameChannel.HEADER, length()).slice().asReadOnlyBuffer();
        }

        /** Bytes of the current batch's payload. */
        public int length() {
            return bb.position() - FrameChannel.HEADER;
        }

        /** Sends the current batch as one frame of {@code type}. */
        public void sendOn(FrameChannel ch, int type) throws java.io.IOException {
            bb.putInt(FrameChannel.HEADER + 4, pages);
            ch.sendFramed(type, buf, length());
        }

        public long zeroPages() {
            return zeroPages;
        }

        /** Ratio of compressed to original bytes of the pages that were compressed (1 if none). */
        public double compressionRatio() {
            return compressedIn == 0 ? 1 : compressedOut / (double) compressedIn;
        }

        /** Pages sent compressed so far (the others that had content went raw). */
        public long compressedPages() {
            return compressedIn / Pages.SIZE;
        }

        /** Nothing to release any more; kept for callers that close writers. */
        public void close() {
        }
    }

    /** Receives the pages of a batch. */
    @FunctionalInterface
    public interface PageSink {
        /**
         * @param content the page (4096 bytes remaining), or {@code null} for a zero page
         */
        void page(int round, long pfn, ByteBuffer content) throws TransportException;
    }

    /** Decodes batches; one per receiving thread (not thread-safe). */
    public static final class Reader {
        private final byte[] page = new byte[Pages.SIZE];
        private final byte[] packed = new byte[Pages.SIZE];
        private final long pageCount;

        /** @param pageCount pfns at or above this are refused */
        public Reader(long pageCount) {
            this.pageCount = pageCount;
        }

        /** Decodes one payload, calling {@code sink} per page; returns the number of pages. */
        public int read(ByteBuffer payload, PageSink sink) throws TransportException {
            ByteBuffer b = payload.duplicate();
            if (b.remaining() < HEAD) {
                throw new TransportException("page batch shorter than its header");
            }
            int round = b.getInt();
            int count = b.getInt();
            if (round < 0 || count < 0 || count > b.remaining() / 9) {
                throw new TransportException("page batch header is inconsistent: round " + round + ", " + count + " pages");
            }
            for (int i = 0; i < count; i++) {
                if (b.remaining() < 9) {
                    throw new TransportException("page batch truncated at record " + i);
                }
                long pfn = b.getLong();
                int kind = b.get();
                if (pfn < 0 || pfn >= pageCount) {
                    throw new TransportException("page record names pfn " + pfn + " outside guest memory of "
                            + pageCount + " pages");
                }
                switch (kind) {
                    case ZERO -> sink.page(round, pfn, null);
                    case RAW -> {
                        if (b.remaining() < Pages.SIZE) {
                            throw new TransportException("page batch truncated in page " + pfn);
                        }
                        ByteBuffer content = b.slice(b.position(), Pages.SIZE);
                        b.position(b.position() + Pages.SIZE);
                        sink.page(round, pfn, content);
                    }
                    case LZ4 -> {
                        int n = b.remaining() >= 4 ? b.getInt() : -1;
                        if (n <= 0 || n > Pages.SIZE || n > b.remaining()) {
                            throw new TransportException("bad LZ4 length " + n + " for page " + pfn
                                    + " (" + b.remaining() + " bytes left in the batch)");
                        }
                        // Payloads are read-only views (no array access): copy into a reused buffer.
                        b.get(packed, 0, n);
                        Lz4Block.decompress(packed, 0, n, page, 0, Pages.SIZE);
                        sink.page(round, pfn, ByteBuffer.wrap(page));
                    }
                    case DEFLATE -> throw new TransportException("page " + pfn
                            + " is deflate-compressed (protocol version 1); this receiver only accepts LZ4");
                    default -> throw new TransportException("unknown page record kind " + kind);
                }
            }
            return count;
        }

        /** Nothing to release any more; kept for callers that close readers. */
        public void close() {
        }
    }
}
