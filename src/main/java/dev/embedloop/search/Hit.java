package dev.embedloop.search;

/**
 * One ranked document of a search.
 *
 * @param docId document id
 * @param chunk the best-matching chunk of the document
 * @param score similarity of that chunk to the query
 * @param title document title, may be null
 * @param snippet start of the chunk text when texts are stored, else null
 */
public record Hit(String docId, int chunk, float score, String title, String snippet) {}
