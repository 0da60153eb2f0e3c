/* rabbitmq_routing.c — binding matches (see rabbitmq_routing.h). */
#include "rabbitmq_routing.h"

#include <string.h>

#include "../../engine/bl_assert.h"

/* The word of `text` starting at `at`: its length up to the next dot or the end. */
static size_t word_length(const char *text)
{
    const char *dot = strchr(text, '.');
    return dot == NULL ? strlen(text) : (size_t)(dot - text);
}

/* Matches pattern words against key words, both at word starts (NULL: no words left).
 * rabbit_db_topic_exchange:trie_match walks a trie of the same words, trying at each
 * word the literal word, `*` (exactly one word) and `#` (zero or more); the recursion
 * here is over at most 32 words of a 63-character key. */
static bool match_words(const char *pattern, const char *key, int depth)
{
    BL_ASSERT(depth < 64);
    if (pattern == NULL) return key == NULL;
    size_t plen = word_length(pattern);
    const char *pnext = pattern[plen] == '.' ? pattern + plen + 1 : NULL;
    if (plen == 1 && pattern[0] == '#') {
        /* zero words, or one and try again */
        if (match_words(pnext, key, depth + 1)) return true;
        if (key == NULL) return false;
        size_t klen = word_length(key);
        return match_words(pattern, key[klen] == '.' ? key + klen + 1 : NULL, depth + 1);
    }
    if (key == NULL) return false;
    size_t klen = word_length(key);
    const char *knext = key[klen] == '.' ? key + klen + 1 : NULL;
    bool word_ok =
        (plen == 1 && pattern[0] == '*') || (plen == klen && memcmp(pattern, key, plen) == 0);
    return word_ok && match_words(pnext, knext, depth + 1);
}

bool rabbitmq_topic_matches(const char *pattern, const char *routing_key)
{
    /* rabbit_db_topic_exchange:split_topic_key_binary: "" is no words at all, so the
     * empty key matches "" and "#" but not "*" */
    return match_words(pattern[0] == '\0' ? NULL : pattern,
                       routing_key[0] == '\0' ? NULL : routing_key, 0);
}

bool rabbitmq_binding_matches(rabbitmq_exchange_type type, const char *binding_key,
                              const char *routing_key)
{
    switch (type) {
    case RABBITMQ_EXCHANGE_FANOUT:
    case RABBITMQ_EXCHANGE_CONSISTENT_HASH: return true;
    case RABBITMQ_EXCHANGE_DIRECT: return strcmp(binding_key, routing_key) == 0;
    case RABBITMQ_EXCHANGE_TOPIC: return rabbitmq_topic_matches(binding_key, routing_key);
    }
    BL_ASSERTF(false, "exchange type %d", (int)type);
}

uint32_t rabbitmq_hash_pick(int32_t key, uint32_t count)
{
    BL_ASSERT(count >= 1);
    /* a 32-bit finaliser (murmur3's fmix32) of the key, then its share of the ring */
    uint32_t h = (uint32_t)key;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return (uint32_t)(((uint64_t)h * count) >> 32);
}
