// Card payment of a payment link (agency_backoffice/payment_views.py). Stripe.js shows the card fields and turns
// the card into a Stripe token in the browser: the card number never reaches Passerelle, only the token, which the
// form posts to the server; the server confirms the PaymentIntent. When the bank asks for 3-D Secure, the server
// sends the page back with the intent's client secret and Stripe.js runs the authentication.
(function () {
  "use strict";
  var form = document.getElementById("paiement-carte");
  if (!form) { return; }
  var status = document.getElementById("paiement-etat");
  function say(message) { status.textContent = message; }

  if (typeof window.Stripe !== "function") {
    say("Le module de paiement sécurisé n'a pas pu être chargé : rechargez la page, ou payez par un autre moyen.");
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);

  if (form.dataset.clientSecret) {
    say("Confirmation auprès de votre banque…");
    stripe.confirmCardPayment(form.dataset.clientSecret).then(
      function () { window.location.assign(form.dataset.doneUrl); },
      function () { window.location.assign(form.dataset.doneUrl); }
    );
    return;
  }

  var card = stripe.elements({ locale: "fr" }).create("card", { hidePostalCode: true });
  card.mount("#carte");
  var button = form.querySelector("button[type=submit]");
  var unreadable = "Carte non reconnue : vérifiez le numéro, la date d'expiration et le cryptogramme.";

  function fail(message) {
    button.disabled = false;
    say(message || unreadable);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    say("Vérification de la carte…");
    Promise.resolve()
      .then(function () { return stripe.createToken(card); })
      .then(function (result) {
        if (!result || result.error || !result.token) {
          fail(result && result.error && result.error.message);
          return;
        }
        say("Paiement en cours…");
        form.elements.card_token.value = result.token.id;
        form.submit();
      })
      .catch(function () { fail(unreadable); });
  });
})();
