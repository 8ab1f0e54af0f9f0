//! Accuracy of `switchyard_text::language::detect` on a small multilingual set written for this
//! project: full sentences and short, tweet-like posts (mentions, hashtags, links, emoji).

use switchyard_text::language::detect;

/// (expected ISO 639-1 code, text)
const SENTENCES: &[(&str, &str)] = &[
    (
        "en",
        "I have been waiting for my refund for two weeks and nobody has answered my emails.",
    ),
    (
        "en",
        "The new update is great, but the app still crashes when I open my account.",
    ),
    (
        "en",
        "Thanks so much for your help today, the support team was amazing!",
    ),
    (
        "en",
        "Why is my flight delayed again? This is the third time this month.",
    ),
    (
        "es",
        "He estado esperando mi reembolso durante dos semanas y nadie me responde.",
    ),
    (
        "es",
        "La nueva actualización es buena, pero la aplicación se cierra cuando abro mi cuenta.",
    ),
    (
        "es",
        "Muchas gracias por la ayuda, el servicio fue excelente.",
    ),
    (
        "es",
        "¿Por qué mi vuelo está retrasado otra vez? Es la tercera vez este mes.",
    ),
    (
        "pt",
        "Estou esperando o meu reembolso há duas semanas e ninguém me responde.",
    ),
    (
        "pt",
        "A nova atualização é boa, mas o aplicativo ainda fecha quando abro a minha conta.",
    ),
    ("pt", "Muito obrigado pela ajuda, o atendimento foi ótimo."),
    (
        "pt",
        "Por que o meu voo está atrasado de novo? É a terceira vez este mês.",
    ),
    (
        "fr",
        "J'attends mon remboursement depuis deux semaines et personne ne me répond.",
    ),
    (
        "fr",
        "La nouvelle mise à jour est bien, mais l'application plante quand j'ouvre mon compte.",
    ),
    (
        "fr",
        "Merci beaucoup pour votre aide, le service client était super.",
    ),
    (
        "fr",
        "Pourquoi mon vol est-il encore en retard ? C'est la troisième fois ce mois-ci.",
    ),
    (
        "de",
        "Ich warte seit zwei Wochen auf meine Rückerstattung und niemand antwortet mir.",
    ),
    (
        "de",
        "Das neue Update ist gut, aber die App stürzt immer noch ab, wenn ich mein Konto öffne.",
    ),
    (
        "de",
        "Vielen Dank für die Hilfe, der Kundenservice war super freundlich.",
    ),
    (
        "de",
        "Warum ist mein Flug schon wieder verspätet? Das ist das dritte Mal in diesem Monat.",
    ),
    (
        "it",
        "Sto aspettando il mio rimborso da due settimane e nessuno mi risponde.",
    ),
    (
        "it",
        "Il nuovo aggiornamento è buono, ma l'app si chiude ancora quando apro il mio account.",
    ),
    (
        "it",
        "Grazie mille per l'aiuto, il servizio clienti è stato fantastico.",
    ),
    (
        "it",
        "Perché il mio volo è di nuovo in ritardo? È la terza volta questo mese.",
    ),
    (
        "nl",
        "Ik wacht al twee weken op mijn terugbetaling en niemand antwoordt op mijn mails.",
    ),
    (
        "nl",
        "De nieuwe update is goed, maar de app crasht nog steeds als ik mijn account open.",
    ),
    (
        "nl",
        "Heel erg bedankt voor de hulp, de klantenservice was geweldig.",
    ),
    (
        "sv",
        "Jag har väntat på min återbetalning i två veckor och ingen svarar på mina mejl.",
    ),
    (
        "sv",
        "Den nya uppdateringen är bra, men appen kraschar fortfarande när jag öppnar mitt konto.",
    ),
    ("sv", "Tack så mycket för hjälpen, kundtjänst var jättebra."),
    (
        "da",
        "Jeg har ventet på min tilbagebetaling i to uger, og ingen svarer på mine mails.",
    ),
    (
        "da",
        "Den nye opdatering er god, men appen går stadig ned, når jeg åbner min konto.",
    ),
    (
        "da",
        "Mange tak for hjælpen, kundeservice var virkelig god.",
    ),
    (
        "no",
        "Jeg har ventet på refusjonen min i to uker, og ingen svarer på e-postene mine.",
    ),
    (
        "no",
        "Den nye oppdateringen er bra, men appen krasjer fortsatt når jeg åpner kontoen min.",
    ),
    (
        "no",
        "Tusen takk for hjelpen, kundeservice var veldig hyggelig.",
    ),
    (
        "fi",
        "Olen odottanut hyvitystä kaksi viikkoa, eikä kukaan vastaa viesteihini.",
    ),
    (
        "fi",
        "Uusi päivitys on hyvä, mutta sovellus kaatuu edelleen kun avaan tilini.",
    ),
    (
        "fi",
        "Kiitos paljon avusta, asiakaspalvelu oli todella hyvä.",
    ),
    (
        "pl",
        "Czekam na zwrot pieniędzy od dwóch tygodni i nikt mi nie odpowiada.",
    ),
    (
        "pl",
        "Nowa aktualizacja jest dobra, ale aplikacja nadal się zawiesza, gdy otwieram konto.",
    ),
    (
        "pl",
        "Dziękuję bardzo za pomoc, obsługa klienta była świetna.",
    ),
    (
        "tr",
        "İki haftadır iademi bekliyorum ve kimse e-postalarıma cevap vermiyor.",
    ),
    (
        "tr",
        "Yeni güncelleme güzel ama uygulama hesabımı açtığımda hâlâ çöküyor.",
    ),
    (
        "tr",
        "Yardımınız için çok teşekkürler, müşteri hizmetleri harikaydı.",
    ),
    (
        "id",
        "Saya sudah menunggu pengembalian dana selama dua minggu dan tidak ada yang membalas.",
    ),
    (
        "id",
        "Pembaruan yang baru bagus, tapi aplikasinya masih sering keluar sendiri.",
    ),
    (
        "id",
        "Terima kasih banyak atas bantuannya, layanan pelanggan sangat membantu.",
    ),
    (
        "ro",
        "Aștept rambursarea de două săptămâni și nimeni nu îmi răspunde.",
    ),
    (
        "ro",
        "Noua actualizare este bună, dar aplicația încă se închide când îmi deschid contul.",
    ),
    (
        "ro",
        "Mulțumesc foarte mult pentru ajutor, serviciul clienți a fost excelent.",
    ),
    (
        "cs",
        "Na vrácení peněz čekám už dva týdny a nikdo mi neodpovídá.",
    ),
    (
        "cs",
        "Nová aktualizace je dobrá, ale aplikace stále padá, když otevřu svůj účet.",
    ),
    ("cs", "Moc děkuji za pomoc, zákaznický servis byl skvělý."),
    (
        "sk",
        "Na vrátenie peňazí čakám už dva týždne a nikto mi neodpovedá.",
    ),
    (
        "sk",
        "Nová aktualizácia je dobrá, ale aplikácia stále padá, keď otvorím svoj účet.",
    ),
    (
        "hu",
        "Két hete várok a visszatérítésre, és senki nem válaszol az e-mailjeimre.",
    ),
    (
        "hu",
        "Az új frissítés jó, de az alkalmazás még mindig összeomlik, amikor megnyitom a fiókomat.",
    ),
    (
        "hu",
        "Nagyon köszönöm a segítséget, az ügyfélszolgálat nagyszerű volt.",
    ),
    (
        "ca",
        "Fa dues setmanes que espero el reemborsament i ningú no em respon.",
    ),
    (
        "ca",
        "Moltes gràcies per l'ajuda, el servei al client ha estat molt bo.",
    ),
    (
        "hr",
        "Već dva tjedna čekam povrat novca i nitko mi ne odgovara.",
    ),
    (
        "hr",
        "Hvala vam puno na pomoći, korisnička služba je bila odlična.",
    ),
    (
        "vi",
        "Tôi đã chờ hoàn tiền hai tuần rồi mà không ai trả lời.",
    ),
    ("vi", "Cảm ơn bạn rất nhiều, dịch vụ khách hàng rất tốt."),
    ("tl", "Salamat po sa tulong ninyo, ang ganda ng serbisyo."),
    (
        "tl",
        "Dalawang linggo na akong naghihintay ng refund at walang sumasagot sa akin.",
    ),
    (
        "ru",
        "Я жду возврат денег уже две недели, и никто не отвечает.",
    ),
    (
        "ru",
        "Спасибо большое за помощь, служба поддержки была отличной.",
    ),
    (
        "uk",
        "Я чекаю на повернення коштів уже два тижні, і ніхто не відповідає.",
    ),
    (
        "bg",
        "Чакам връщането на парите вече две седмици и никой не ми отговаря.",
    ),
    (
        "el",
        "Περιμένω την επιστροφή χρημάτων εδώ και δύο εβδομάδες.",
    ),
    ("ar", "أنتظر استرداد أموالي منذ أسبوعين ولا أحد يرد علي."),
    (
        "fa",
        "دو هفته است که منتظر بازپرداخت پولم هستم و هیچکس جواب نمی‌دهد.",
    ),
    ("he", "אני מחכה להחזר כספי כבר שבועיים ואף אחד לא עונה לי."),
    (
        "hi",
        "मैं दो हफ्ते से रिफंड का इंतजार कर रहा हूं और कोई जवाब नहीं दे रहा है।",
    ),
    ("th", "ฉันรอเงินคืนมาสองสัปดาห์แล้วและไม่มีใครตอบเลย"),
    ("ko", "환불을 2주째 기다리고 있는데 아무도 답변하지 않아요."),
    ("ja", "返金を二週間待っていますが、誰も返事をくれません。"),
    ("zh", "我已经等了两个星期的退款，没有人回复我。"),
];

/// Short, tweet-like posts: most of the volume a social inbox sees.
const TWEETS: &[(&str, &str)] = &[
    (
        "en",
        "@skyway_air where is my bag?? 3 hours at the carousel",
    ),
    ("en", "just landed, thanks for the smooth flight ✈️ #happy"),
    (
        "en",
        "@fastship my package is not here yet https://t.co/abc123",
    ),
    ("en", "can someone from support please DM me"),
    ("en", "this app is so bad lol"),
    ("en", "why is the site down again"),
    ("es", "@aerolinea mi maleta no llegó 😡"),
    ("es", "gracias por todo, muy buen servicio"),
    ("es", "no me funciona la app desde ayer"),
    ("pt", "@loja meu pedido ainda não chegou"),
    ("pt", "obrigado pelo atendimento, foi ótimo"),
    (
        "fr",
        "@compagnie mon vol est encore annulé, c'est pas possible",
    ),
    ("fr", "merci pour votre aide 🙏"),
    ("de", "@bahn schon wieder Verspätung, danke für nichts"),
    ("de", "ich warte immer noch auf meine Bestellung"),
    ("it", "@negozio il mio ordine non è ancora arrivato"),
    ("it", "grazie mille, tutto perfetto"),
    ("nl", "@winkel mijn bestelling is nog steeds niet binnen"),
    ("sv", "@butiken min beställning har inte kommit än"),
    ("pl", "@sklep dziękuję za szybką pomoc"),
    ("tr", "@magaza siparişim hâlâ gelmedi"),
    ("id", "@toko pesanan saya belum sampai juga"),
    ("ru", "@магазин где мой заказ?"),
    ("ja", "@shop 注文した商品がまだ届きません"),
];

fn accuracy(cases: &[(&str, &str)]) -> (usize, Vec<String>) {
    let mut correct = 0;
    let mut wrong = Vec::new();
    for (want, text) in cases {
        let got = detect(text);
        if got.code == *want {
            correct += 1;
        } else {
            wrong.push(format!(
                "want {want}, got {} ({:.2}): {text}",
                got.code, got.confidence
            ));
        }
    }
    (correct, wrong)
}

#[test]
fn sentences_are_detected() {
    let (correct, wrong) = accuracy(SENTENCES);
    eprintln!("language sentences: {correct}/{} correct", SENTENCES.len());
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(
        correct * 100 >= SENTENCES.len() * 95,
        "{correct}/{} correct:\n{}",
        SENTENCES.len(),
        wrong.join("\n")
    );
}

#[test]
fn short_posts_are_detected() {
    let (correct, wrong) = accuracy(TWEETS);
    eprintln!("language short posts: {correct}/{} correct", TWEETS.len());
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(
        correct * 100 >= TWEETS.len() * 85,
        "{correct}/{} correct:\n{}",
        TWEETS.len(),
        wrong.join("\n")
    );
}

#[test]
fn no_evidence_is_undetermined() {
    for text in [
        "",
        "   ",
        "12345 !!!",
        "😀😀😀",
        "@someone https://t.co/xyz",
        "#",
    ] {
        let got = detect(text);
        assert_eq!(got.code, "und", "{text:?}");
        assert_eq!(got.confidence, 0.0);
    }
}

#[test]
fn confidence_grows_with_evidence() {
    let short = detect("thanks");
    let long = detect(
        "Thanks so much for your help today, the support team was amazing and the flight was on time.",
    );
    assert_eq!(short.code, "en");
    assert_eq!(long.code, "en");
    assert!(long.confidence > short.confidence);
    assert!((0.0..=1.0).contains(&long.confidence));
}
